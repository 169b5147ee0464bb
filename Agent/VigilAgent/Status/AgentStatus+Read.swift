import Foundation
import GRDB

extension AgentStatus {
    /// Reads the status the agent last saved in the database at `path`, opening it read-only so it is
    /// safe beside the running agent. Nil when no agent has written a status yet.
    public static func read(databasePath path: String) throws -> AgentStatus? {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StatusReadError(message: "no agent database at \(path)")
        }
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        let json = try queue.read { db -> String? in
            guard try db.tableExists("status") else { return nil }
            return try String.fetchOne(db, sql: "SELECT json FROM status WHERE id = 1")
        }
        guard let json else { return nil }
        return try JSONDecoder().decode(AgentStatus.self, from: Data(json.utf8))
    }
}

/// The status could not be read.
public struct StatusReadError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public var message: String
    public var description: String { message }
}
