import Foundation
import GRDB
import Logging
import Testing
import VigilTestSupport

@testable import VigilHub

/// `GET /healthz` and `/readyz` on a running hub (curl against its admin port), and the store probes behind
/// readiness against a real SQLite file and a real PostgreSQL.
@Suite("Health and readiness probes", .timeLimit(.minutes(3)))
struct ProbeTests {
    static func checks(_ body: String) throws -> [String: (ok: Bool, detail: String)] {
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "not JSON: \(body)")
        var checks: [String: (Bool, String)] = [:]
        for check in object["checks"] as? [[String: Any]] ?? [] {
            checks[check["name"] as? String ?? "?"] = (check["ok"] as? Bool ?? false, check["detail"] as? String ?? "")
        }
        return checks
    }

    @Test("alive and ready on a healthy hub, open without a token; not ready while another process holds the lock")
    func sqliteHub() async throws {
        let directory = TemporaryDirectory()
        let token = "probe-token-0123456789abcdef"
        let file = directory.file("admin-tokens")
        try "ops read \(token)\n".write(toFile: file, atomically: true, encoding: .utf8)
        try await TestHub.with(configure: { $0.adminAuth = .init(tokensFile: file) }) { hub in
            let base = "http://127.0.0.1:\(hub.adminPort)"
            let alive = try await AdminAccessTests.curl(["\(base)/healthz"])
            #expect(alive.status == 200)
            #expect(alive.body.contains("\"status\":\"alive\""), "\(alive.body)")
            let ready = try await AdminAccessTests.curl(["\(base)/readyz"])
            #expect(ready.status == 200, "\(ready.body)")
            #expect(ready.body.contains("\"ready\":true"))
            #expect(try Self.checks(ready.body).mapValues(\.ok) == ["store": true, "commits": true])
            // The rest of the API still wants the token; a probe's parameters are checked like any other.
            #expect(try await AdminAccessTests.curl(["\(base)/v1/status"]).status == 401)
            let parameter = try await AdminAccessTests.curl(["\(base)/readyz?verbose=1"])
            #expect(parameter.status == 400)
            #expect(parameter.body.contains("verbose"))

            // Another process takes the store's write lock: the hub cannot commit, so it is not ready, and
            // says why only to the signed-in.
            let holder = try DatabaseQueue(path: hub.directory.file("hub.db"))
            let taken = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            Thread {
                try? holder.inDatabase { db in
                    try db.execute(sql: "BEGIN IMMEDIATE")
                    taken.signal()
                    release.wait()
                    try db.execute(sql: "ROLLBACK")
                }
            }.start()
            try await onThread { taken.wait() }
            // Past the reuse of the last probe's answer (StoreProbe.reuse, 1 s).
            try await Task.sleep(for: .milliseconds(1200))
            let locked = try await AdminAccessTests.curl(["\(base)/readyz"])
            #expect(locked.status == 503, "\(locked.body)")
            #expect(locked.body.contains("\"ready\":false"))
            let store = try #require(try Self.checks(locked.body)["store"])
            #expect(!store.ok)
            #expect(!store.detail.contains("hub.db"), "details without a token: \(store.detail)")
            let signedIn = try await AdminAccessTests.curl(["-H", "Authorization: Bearer \(token)", "\(base)/readyz"])
            #expect(signedIn.status == 503)
            let detail = try #require(try Self.checks(signedIn.body)["store"]).detail
            #expect(detail.contains("hub.db") && detail.contains("within 2 s"), "\(detail)")
            #expect(try await AdminAccessTests.curl(["\(base)/healthz"]).status == 200, "alive while not ready")

            release.signal()
            let back = await eventually(15) { (try? await AdminAccessTests.curl(["\(base)/readyz"]))?.status == 200 }
            #expect(back, "not ready again after the lock was released")
        }
    }

    @Test("a store on a full disk fails its commits: not ready (the lock probe passes), ready after one succeeds")
    func diskFull() async throws {
        // A size-limited tmpfs for the store (needs root, as CI and the dev machines are).
        let mount = try makeTemporaryDirectory("probe-full-mnt")
        _ = try runCommand(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount])
        defer {
            _ = try? runCommand(["umount", "-l", mount])
            try? FileManager.default.removeItem(atPath: mount)
        }
        try await TestHub.with(configure: { $0.store.path = "\(mount)/hub.db" }) { hub in
            let base = "http://127.0.0.1:\(hub.adminPort)"
            #expect(try await AdminAccessTests.curl(["\(base)/readyz"]).status == 200)
            let filler = "\(mount)/filler"
            try fillFilesystem(filler)
            let client = try await TestAgentClient.connect(port: hub.listenPort)
            try await client.send(Records.hello(labels: ["service": "checkout", "version": "1.4.0"]))
            _ = try await client.nextFrame()
            // Batch after batch until one is not acknowledged: more than the file's free pages hold (a WAL
            // reused after a checkpoint has room of its own). The hub acks nothing of a failed commit.
            var acked = 0
            for n in 0..<80 {
                let first = n * 500 + 1
                guard
                    (try? await client.send(
                        Records.batch(firstSeq: UInt64(first), Records.events(first...(first + 499))))) != nil,
                    case .ack = try? await client.nextFrame(timeout: .seconds(5)).body
                else { break }
                acked += 1
            }
            #expect(acked < 80, "the disk never filled")
            var answer = AdminAccessTests.Answer(status: 0, headers: [:], body: "")
            let notReady = await eventually(15) {
                answer = (try? await AdminAccessTests.curl(["\(base)/readyz"])) ?? answer
                return answer.status == 503
            }
            #expect(notReady, "ready with every commit failing: \(answer.body)")
            let checks = try Self.checks(answer.body)
            #expect(checks["store"]?.ok == true, "taking the lock writes nothing: \(answer.body)")
            #expect(checks["commits"]?.ok == false)
            #expect(checks["commits"]?.detail.contains("full") == true, "\(answer.body)")
            await client.close()
            // Space again: the next batch commits, and the hub is ready at once.
            try FileManager.default.removeItem(atPath: filler)
            let again = try await TestAgentClient.connect(port: hub.listenPort)
            try await again.send(Records.hello(labels: ["service": "checkout", "version": "1.4.0"]))
            _ = try await again.nextFrame()
            try await again.send(Records.batch(firstSeq: 1, Records.events(1...10)))
            _ = try await again.nextFrame()
            await again.close()
            #expect(try await AdminAccessTests.curl(["\(base)/readyz"]).status == 200)
        }
    }

    @Test("a failed commit keeps the hub not ready for 30 s unless one succeeds; details only when trusted")
    func commitFailureMemory() {
        let now: Int64 = 1_700_000_000_000_000_000
        let failure = BatchCommitter.CommitFailure(
            atUnixNano: now - 5_000_000_000,
            error: StoreError(code: .full, message: "/var/lib/vigil/hub.db: database or disk is full"))
        let recent = ReadinessReport.judge(
            hubID: "h", probe: nil, lastFailure: failure, nowUnixNano: now, detailed: false)
        #expect(!recent.ready)
        #expect(recent.checks.map(\.name) == ["store", "commits"])
        #expect(recent.checks[1].detail.contains("5 s ago") && recent.checks[1].detail.contains("(full)"))
        #expect(!recent.checks[1].detail.contains("/var/lib"), "\(recent.checks[1].detail)")
        let trusted = ReadinessReport.judge(
            hubID: "h", probe: nil, lastFailure: failure, nowUnixNano: now, detailed: true)
        #expect(trusted.checks[1].detail.contains("disk is full"))
        let old = ReadinessReport.judge(
            hubID: "h", probe: nil, lastFailure: failure, nowUnixNano: now + 25_000_000_000, detailed: false)
        #expect(old.ready, "a failure 30 s old no longer counts: \(old.checks)")
        let none = ReadinessReport.judge(hubID: "h", probe: nil, lastFailure: nil, nowUnixNano: now, detailed: false)
        #expect(none.ready)
        let probe = ReadinessReport.judge(
            hubID: "h", probe: StoreError(code: .write, message: "x"), lastFailure: nil, nowUnixNano: now,
            detailed: false)
        #expect(!probe.ready && !probe.checks[0].ok && probe.checks[0].detail.contains("(write)"))
    }

    @Test("PostgreSQL: writable while up; a crash fails the probe naming the target; read-only sessions fail it")
    func postgresProbe() async throws {
        let server = try PostgresServer.dedicated()
        defer { server.stop() }
        let database = try server.database()
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let target = try PostgresTarget.parse(server.url(database))
        let store = try await PostgresEventStore.open(
            .init(target: target), hubID: "hub-a", timeout: .seconds(3), logger: quiet)
        try await store.probeWritable()
        try server.crash()
        let failed = await #expect(throws: StoreError.self) { try await store.probeWritable() }
        #expect(failed?.message.contains(store.location) == true, "\(String(describing: failed))")
        try server.restart()
        #expect(await eventually(30) { (try? await store.probeWritable()) != nil }, "not writable once back")
        // Sessions that do not take writes (as on a standby, or a database set read-only): the pool's
        // connections are ended, and the ones it opens next are read-only.
        _ = try server.psql(database, "ALTER DATABASE \(database) SET default_transaction_read_only = on")
        _ = try server.psql(
            database,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)' AND pid <> pg_backend_pid()"
        )
        let readOnly = await eventually(30) {
            do {
                try await store.probeWritable()
                return false
            } catch {
                return "\(error)".contains("does not take writes (read-only)")
            }
        }
        #expect(readOnly, "a read-only session passed the probe")
    }
}
