import ArgumentParser
import Foundation

/// Options every query command takes.
struct HubOptions: ParsableArguments {
    @Option(name: .customLong("hub"), help: "The hub's admin URL (default: $VIGIL_HUB or http://127.0.0.1:7480).")
    var hub: String?

    @Option(
        name: .customLong("token-file"),
        help: "A file whose first line is a token of the hub's admin_auth.tokens_file (default: $VIGIL_TOKEN).")
    var tokenFile: String?

    @Flag(help: "Print the API's JSON unchanged.")
    var json = false

    /// Runs `body` with a client; a client error is printed as one line on stderr and exits 1.
    func run(_ body: (HubClient) async throws(HubClientError) -> Void) async throws {
        do {
            var client = try HubClient.resolve(hub)
            client.token = try HubClient.token(file: tokenFile)
            try await body(client)
        } catch {
            FileHandle.standardError.write(Data("vigilctl: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// Writes raw bytes (the API's JSON) to standard output, with a final newline.
func printRaw(_ data: Data) {
    FileHandle.standardOutput.write(data)
    if data.last != UInt8(ascii: "\n") { FileHandle.standardOutput.write(Data("\n".utf8)) }
}
