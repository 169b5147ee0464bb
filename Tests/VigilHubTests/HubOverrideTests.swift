import Foundation
import Logging
import Testing
import VigilConfiguration
import VigilTestSupport

@testable import VigilHub

/// `vigil-hub serve --set`: the hub's file with flags over it, checked as the file is, and kept on reloads.
@Suite("Hub --set overrides")
struct HubOverrideTests {
    @Test("flags override the file, errors name the flag, and a reload of the file keeps the flags")
    func overridesAndReload() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("hub.yaml")
        try TestHub.writeConfiguration(
            "authorization: { default: allow }\nretention: { raw: 30d }\n", to: path, directory: directory)
        let overrides = try ["authorization.default=deny", "hub_id=hub-b"].map {
            try ConfigurationOverride(parsing: $0)
        }
        let running = try HubConfiguration.load(path: path, overrides: overrides)
        #expect(running.hubID == "hub-b")
        #expect(running.authorization?.fallback == .deny)
        #expect(running.retention.raw == .seconds(30 * 86_400), "the file's other keys stay")
        do {
            _ = try HubConfiguration.load(
                path: path, overrides: [try ConfigurationOverride(parsing: "retention.raw=soon")])
            Issue.record("an invalid flag value loaded")
        } catch {
            #expect("\(error)".hasPrefix("--set retention.raw: retention.raw: "), "\(error)")
        }

        // A flag's value may be a secret: errors and --effective name the key only.
        do {
            _ = try HubConfiguration.load(
                path: path,
                overrides: [
                    try ConfigurationOverride(
                        parsing: "store={kind: postgres, url: \"postgres://u:s3cret@db/x?sslmode=sometimes\"}")
                ])
            Issue.record("an invalid store URL loaded")
        } catch {
            #expect("\(error)".hasPrefix("--set store: "), "\(error)")
            #expect(!"\(error)".contains("s3cret"), "the password was printed: \(error)")
        }
        let unbalanced = try ConfigurationOverride(parsing: "store.url=[postgres://u:s3cret@db")
        do {
            _ = try HubConfiguration.load(path: path, overrides: [unbalanced])
            Issue.record("unbalanced YAML loaded")
        } catch {
            #expect(!"\(error)".contains("s3cret"), "the password was printed: \(error)")
        }

        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let authorization = AuthorizationState(running.authorization)
        let reloader = ConfigurationReloader(
            path: path, overrides: overrides, running: running, authorization: authorization, logger: quiet,
            now: { 0 })
        // The file changes its policy's rules; the flag's default must survive the reload.
        try TestHub.writeConfiguration(
            "authorization:\n  default: allow\n  agents: [{ match: \"web-*\", services: [checkout] }]\n", to: path,
            directory: directory)
        #expect(reloader.reload(), "\(String(describing: reloader.status.lastError))")
        let policy = try #require(authorization.current.policy)
        #expect(policy.fallback == .deny, "the reload dropped --set authorization.default=deny")
        #expect(policy.rules.count == 1)
    }
}
