import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import VigilConfiguration
import VigilHub
import VigilTestSupport

/// A whole hub in-process (store in a temp dir, receiver and admin API on 127.0.0.1 port 0) for the
/// duration of `body`, stopped through graceful shutdown afterwards.
struct TestHub: Sendable {
    let runtime: HubRuntime
    let listenPort: Int
    let adminPort: Int
    let directory: TemporaryDirectory

    var store: SQLiteEventStore { runtime.store as! SQLiteEventStore }
    var counters: ReceiverCounters { runtime.receiver.shared.counters }

    static func configuration(
        in directory: TemporaryDirectory, maxFrameBytes: Int = 64 * 1024, maxConnections: Int = 100
    ) -> HubConfiguration {
        let certs = TestCertificates.shared
        var configuration = HubConfiguration(tls: .init(ca: certs.ca, cert: certs.hubCert, key: certs.hubKey))
        configuration.listen = HostPort(host: "127.0.0.1", port: 0)
        configuration.admin = HostPort(host: "127.0.0.1", port: 0)
        configuration.hubID = "test-hub"
        configuration.store.path = directory.file("hub.db")
        configuration.limits.maxFrameBytes = maxFrameBytes
        configuration.limits.maxConnections = maxConnections
        configuration.limits.maxBatchRecords = 1000
        return configuration
    }

    /// `configurationYAML`, when given, is written to `hub.yaml` in the hub's directory, loaded over the
    /// configuration above (its tls, listen, admin and store keys are filled in) and watched for reloads.
    static func with<T: Sendable>(
        configure: (inout HubConfiguration) -> Void = { _ in },
        configurationYAML: String? = nil,
        _ body: @Sendable (TestHub) async throws -> T
    ) async throws -> T {
        let directory = TemporaryDirectory()
        var configuration = Self.configuration(in: directory)
        var configurationPath: String?
        if let configurationYAML {
            let path = directory.file("hub.yaml")
            try Self.writeConfiguration(configurationYAML, to: path, directory: directory)
            configuration.authorization = try HubConfiguration.load(path: path).authorization
            configurationPath = path
        }
        configure(&configuration)
        var logger = Logger(label: "vigil.hub.test")
        logger.logLevel = .critical
        let adminPort = AdminPortBox()
        let runtime = try await HubRuntime.make(
            configuration: configuration, configurationPath: configurationPath, logger: logger,
            tlsCheckInterval: .milliseconds(200)
        ) { address in
            adminPort.set(address.port)
        }
        let listen = try await runtime.receiver.bind()
        let group = ServiceGroup(
            configuration: .init(services: runtime.services.map { .init(service: $0) }, logger: logger))
        return try await whileRunning(group) {
            let port = try await adminPort.wait()
            return try await body(
                TestHub(runtime: runtime, listenPort: listen.port, adminPort: port, directory: directory))
        }
    }

    /// Writes `yaml` (keys other than tls, listen, admin, hub_id and store) to `path` with those keys filled in
    /// as ``configuration(in:maxFrameBytes:maxConnections:)`` sets them.
    static func writeConfiguration(_ yaml: String, to path: String, directory: TemporaryDirectory) throws {
        let certs = TestCertificates.shared
        let text = """
            tls: { ca: \(certs.ca), cert: \(certs.hubCert), key: \(certs.hubKey) }
            listen: "127.0.0.1:0"
            admin: "127.0.0.1:0"
            hub_id: test-hub
            store: { path: \(directory.file("hub.db")) }
            limits: { max_frame_bytes: 65536, max_connections: 100, max_batch_records: 1000 }

            """ + yaml
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Polls `condition` until it holds or `timeout` passes.
    static func eventually(
        timeout: Duration = .seconds(10), _ condition: @Sendable () async throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try await condition()
    }
}

/// Carries the admin port from the server's callback to the test.
final class AdminPortBox: Sendable {
    private let port = Mutex<Int?>(nil)
    func set(_ value: Int) { port.withLock { $0 = value } }
    func wait() async throws -> Int {
        for _ in 0..<1000 {
            if let value = port.withLock({ $0 }) { return value }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestTimeout(what: "the admin API did not start")
    }
}
