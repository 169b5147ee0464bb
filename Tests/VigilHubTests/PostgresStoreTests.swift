import Foundation
import Logging
import Synchronization
import Testing
import VigilAnalytics
import VigilProtocol
import VigilTestSupport

@testable import VigilHub

/// What only the PostgreSQL store has to get right: several replicas writing one database at once, day
/// partitions, the migration lock, errors that name the server without a secret, and losing the server.
/// Every test runs against a real PostgreSQL 15 (``PostgresServer``).
@Suite("PostgreSQL store")
struct PostgresStoreTests: StoreTestInput {
    /// Records `first...` of one stream: events with every fourth a sample (samples have no unique key, so only
    /// the stream's lock keeps them from being stored twice).
    func records(_ range: ClosedRange<Int>, time: Int64 = 1_700_000_000_000_000_000) -> [Vigil_V1_Record] {
        range.map { $0 % 4 == 0 ? Records.sample($0, time: time + Int64($0)) : Records.event($0, time: time) }
    }

    @Test("two replicas committing the same stream's batches at once store each record once")
    func twoReplicasOneStream() async throws {
        let fixture = try await StoreFixture.open(.postgres, hubID: "hub-a")
        let a = fixture.store
        let b = try await fixture.reopen(hubID: "hub-b")
        let batches = (0..<40).map { n in batch(first: UInt64(n * 50 + 1), records(n * 50 + 1...n * 50 + 50)) }
        // Both replicas get the whole stream, each in order, at the same time: as when an agent failed over while
        // its old connection still had batches in flight, and sent them again on the new one.
        let outcomes = try await withThrowingTaskGroup(of: [BatchOutcome].self) { group in
            for store in [a, b] {
                group.addTask {
                    var outcomes: [BatchOutcome] = []
                    for (index, one) in batches.enumerated() {
                        outcomes += try await store.commit([one], at: now + Int64(index))
                    }
                    return outcomes
                }
            }
            var all: [BatchOutcome] = []
            for try await outcome in group { all += outcome }
            return all
        }
        let storedByOutcome = outcomes.reduce(0) { $0 + $1.stored }
        #expect(storedByOutcome == 2000, "the outcomes claim \(storedByOutcome) records stored")
        #expect(try await a.totals().records == 2000)
        #expect(try await b.highWaterMark(agentID: "web-01", streamID: Records.stream(1)) == 2000)
        let rows = try #require(
            try fixture.psql(
                """
                SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM samples),
                       (SELECT count(DISTINCT seq) FROM events) + (SELECT count(DISTINCT seq) FROM samples)
                """))
        #expect(rows == "2000|2000")
    }

    @Test("rollups of two replicas committing interleaved add up exactly: nothing skipped, nothing twice")
    func rollupsUnderInterleavedCommits() async throws {
        let fixture = try await StoreFixture.open(.postgres, hubID: "hub-a")
        let a = fixture.store
        let b = try await fixture.reopen(hubID: "hub-b")
        let minute = MinuteRollup.minute(of: now)
        let base = minute * MinuteRollup.minuteNanos
        // Four agents; each agent's records arrive on two streams, one through each replica, so both replicas
        // fold into the same cells (service, minute, version, host, name) at the same time.
        var expected = MinuteRollup.Chunk()
        // Each stream's batches in order (as one connection sends them), all streams at once.
        var work: [(any HubStore, [IncomingBatch])] = []
        for agent in 0..<4 {
            for stream in UInt8(1)...2 {
                var sequence: [IncomingBatch] = []
                for part in 0..<10 {
                    let records = (0..<30).map { n -> Vigil_V1_Record in
                        let id = agent * 100_000 + Int(stream) * 10_000 + part * 100 + n
                        var record = Records.event(
                            id, time: base + Int64(n % 3) * MinuteRollup.minuteNanos,
                            outcome: n % 5 == 0 ? .error : .ok, durationMs: Double(n + 1))
                        record.event.eventID = Records.id(id)
                        record.event.errorCategory = n % 5 == 0 ? "timeout" : ""
                        return record
                    }
                    for record in records {
                        expected.add(
                            MinuteRollup.RawEvent(
                                timeUnixNano: record.event.timeUnixNano, service: "checkout", version: "1.0.0",
                                host: "agent-\(agent)", name: "request", failed: record.event.outcome == .error,
                                durationMs: record.event.durationMs, errorCategory: record.event.errorCategory))
                    }
                    sequence.append(batch("agent-\(agent)", stream: stream, first: UInt64(part * 30 + 1), records))
                }
                work.append((stream == 1 ? a : b, sequence))
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (store, sequence) in work {
                group.addTask { for one in sequence { _ = try await store.commit([one], at: now) } }
            }
            try await group.waitForAll()
        }
        let stored = try await a.eventRollups(service: "checkout", minutes: minute...(minute + 2))
        var byKey: [MinuteRollup.EventKey: EventCell] = [:]
        for row in stored { byKey[row.key] = row.cell }
        #expect(byKey.count == expected.eventKeys.count)
        for (key, cell) in zip(expected.eventKeys, expected.eventCells) {
            let got = byKey[key]
            #expect(got?.count == cell.count, "\(key)")
            #expect(got?.errors == cell.errors, "\(key)")
            #expect(got?.durationSum == cell.durationSum, "\(key)")
            #expect(got?.sketch.count == cell.sketch.count, "\(key)")
        }
        // The hour cells, which both replicas' commits merge into too, are the expected cells merged per hour.
        let hourly = expected.hourly
        let hours = try await b.eventRollups(
            service: "checkout", minutes: (minute - 60)...(minute + 2), resolution: .hour)
        #expect(hours.count == hourly.eventKeys.count)
        for (key, cell) in zip(hourly.eventKeys, hourly.eventCells) {
            let got = hours.first { $0.key == key }?.cell
            #expect(got?.count == cell.count && got?.errors == cell.errors, "\(key)")
            #expect(got?.durationSum == cell.durationSum && got?.sketch == cell.sketch, "\(key)")
        }
        let errors = try await b.errorCategories(
            service: "checkout", recent: minute..<(minute + 3), previous: (minute - 3)..<minute)
        let recentErrors: Int64 = errors.map(\.recent).reduce(0, +)
        // 4 agents × 2 streams × 10 batches × 6 errors (every fifth of 30).
        #expect(recentErrors == 480)
    }

    @Test("events go into a partition per day near today; far-off days into the default; retention drops days")
    func partitionsByDay() async throws {
        let fixture = try await StoreFixture.open(.postgres)
        let store = fixture.store
        let day: Int64 = 86_400_000_000_000
        let today = Int64(Date().timeIntervalSince1970 * 1e9) / day * day + day / 2
        let times = [today, today - 3 * day, today - 200 * day, today + 30 * day]
        let events = times.enumerated().map { Records.event($0.offset + 1, time: $0.element) }
        _ = try await store.commit([batch(first: 1, events)], at: now)
        let name = "events_d" + PostgresPartitions.dayText(today / day)
        let old = "events_d" + PostgresPartitions.dayText(today / day - 3)
        #expect(try fixture.psql("SELECT count(*) FROM \(name)") == "1")
        #expect(try fixture.psql("SELECT count(*) FROM \(old)") == "1")
        #expect(try fixture.psql("SELECT count(*) FROM events_default") == "2")
        // Keep one day: the day three days back is dropped whole, the 200-day-old row deleted from the default.
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        // A replica that does not lead leaves retention to the leader.
        let leads = Atomic<Bool>(false)
        let retention = RetentionService(
            store: store, keep: .seconds(86_400), batchSize: 10, pause: .milliseconds(1),
            now: { Int64(Date().timeIntervalSince1970 * 1e9) }, leads: { leads.load(ordering: .relaxed) },
            logger: quiet)
        #expect(await retention.runPass() == 0)
        #expect(try fixture.psql("SELECT to_regclass('\(old)') IS NOT NULL") == "t")
        #expect(try fixture.psql("SELECT count(*) FROM events") == "4")
        leads.store(true, ordering: .relaxed)
        _ = await retention.runPass()
        #expect(try fixture.psql("SELECT to_regclass('\(old)') IS NULL") == "t")
        #expect(try fixture.psql("SELECT count(*) FROM events") == "2")
        // A day that enters the window later moves its rows out of the default partition: none is left behind.
        #expect(try fixture.psql("SELECT count(*) FROM events_default WHERE time_unix_nano < \(today)") == "0")
    }

    @Test("a day that enters the window gets its partition, and its rows move out of the default partition")
    func dayEntersTheWindow() async throws {
        let fixture = try await StoreFixture.open(.postgres)
        let store = try #require(fixture.store as? PostgresEventStore)
        let day: Int64 = 86_400_000_000_000
        let today = Int64(Date().timeIntervalSince1970 * 1e9) / day
        // Five days ahead is beyond the window (two days), so these rows land in the default partition.
        let ahead = (today + 5) * day + day / 2
        _ = try await store.commit(
            [batch(first: 1, [Records.event(1, time: ahead), Records.event(2, time: ahead)])], at: now)
        #expect(try fixture.psql("SELECT count(*) FROM events_default") == "2")
        // Four days on, that day is in the window: its partition is made and the rows move into it.
        try await store.partitions.ensure(
            .events, days: [today + 5], today: today + 4, pool: store.pool, logger: store.logger)
        let name = "events_d" + PostgresPartitions.dayText(today + 5)
        #expect(try fixture.psql("SELECT count(*) FROM \(name)") == "2")
        #expect(try fixture.psql("SELECT count(*) FROM events_default") == "0")
        #expect(try await store.records(matching: RecordQuery()).count == 2)
    }

    @Test("hubs starting together on an empty database apply each migration once, under the lock")
    func migrationsUnderLock() async throws {
        let server = try PostgresServer.start()
        let database = try server.database()
        let stores = try await withThrowingTaskGroup(of: PostgresEventStore.self) { group in
            for n in 0..<3 {
                group.addTask {
                    try await StoreFixture.openPostgres(server: server, database: database, hubID: "hub-\(n)")
                }
            }
            var opened: [PostgresEventStore] = []
            for try await store in group { opened.append(store) }
            return opened
        }
        #expect(stores.count == 3)
        let applied = try await stores[0].appliedMigrations()
        #expect(applied == PostgresSchema.migrations.map(\.name))
        #expect(try server.psql(database, "SELECT count(*) FROM vigil_migrations") == "\(applied.count)")
    }

    @Test("an unreachable server or a missing database is one line naming the target, never a password")
    func errorsNameTheTarget() async throws {
        let server = try PostgresServer.start()
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let missing = try PostgresTarget.parse(server.url("no_such_database"))
        do {
            _ = try await PostgresEventStore.open(
                .init(target: missing, password: "s3cret-pw"), hubID: "hub-a", logger: quiet)
            Issue.record("opened a database that does not exist")
        } catch {
            #expect(error.message.contains("no_such_database"), "\(error)")
            #expect(error.message.contains("3D000"), "\(error)")
            #expect(!error.description.contains("s3cret-pw"))
            #expect(!error.description.contains("\n"))
        }
        let refused = try PostgresTarget.parse("postgres://vigil@127.0.0.1:1/vigil?sslmode=disable")
        do {
            _ = try await PostgresEventStore.open(
                .init(target: refused, password: "s3cret-pw"), hubID: "hub-a", logger: quiet)
            Issue.record("opened a server that does not listen")
        } catch {
            #expect(error.message.contains("postgres://vigil@127.0.0.1:1/vigil"), "\(error)")
            #expect(!error.description.contains("s3cret-pw"))
        }
        #expect(throws: PostgresTargetError.self) { try PostgresTarget.parse("postgres://vigil:hunter2@db/vigil") }
        do {
            _ = try PostgresTarget.parse("postgres://vigil:hunter2@db/vigil")
        } catch {
            #expect(error.description.contains("postgres://vigil:***@db/vigil"), "\(error)")
            #expect(!error.description.contains("hunter2"))
        }
    }

    @Test("a NUL in an agent's text is stored as U+FFFD instead of failing the whole group commit")
    func nulInText() async throws {
        let fixture = try await StoreFixture.open(.postgres)
        var bad = Records.event(1)
        bad.event.service = "check\u{0}out"
        let outcomes = try await fixture.store.commit(
            [batch("web-01", first: 1, [bad]), batch("web-02", first: 1, [Records.event(2)])], at: now)
        #expect(outcomes.map(\.events) == [1, 1])
        let services = try await fixture.store.records(matching: RecordQuery()).map(\.service)
        #expect(services == ["check\u{FFFD}out", "checkout"])
    }

    @Test(
        "both write methods store agent text exactly (tabs, newlines, backslashes, quotes, non-ASCII) and count a repeat within one commit once",
        arguments: PostgresEventStore.WriteMethod.allCases)
    func writeMethods(method: PostgresEventStore.WriteMethod) async throws {
        let server = try PostgresServer.start()
        var quiet = Logger(label: "test.postgres")
        quiet.logLevel = .critical
        let store = try await PostgresEventStore.open(
            .init(target: try PostgresTarget.parse(server.url(try server.database()))), hubID: "hub-a",
            writeMethod: method, logger: quiet)
        defer { store.close() }
        let awkward = "tab\there\nnew line\r\\N back\\slash 'quote' \"dq\" ünï ✓ \\x00"
        var odd = Records.event(1, durationMs: 1e-7)
        odd.event.name = awkward
        odd.event.errorCategory = "\\"
        odd.event.attributes = ["k\tey": awkward, "empty": ""]
        odd.event.eventID = Data([0x5C, 0x09, 0x0A, 0x00, 0xFF] + Array(repeating: 0x4E, count: 11))
        var plain = Records.event(2, durationMs: 123_456.789)
        plain.event.attributes = [:]
        var sample = Records.sample(3)
        sample.sample.metric = awkward
        sample.sample.labels = ["l": "a\tb\\c"]
        // Event 2 twice in one commit (an application retry on another stream): stored once, counted once.
        let outcomes = try await store.commit(
            [batch("web-01", first: 1, [odd, plain, sample]), batch("web-02", first: 1, [plain])], at: now)
        #expect(outcomes.map(\.events) == [2, 0])
        #expect(outcomes.map(\.duplicateEvents) == [0, 1])
        #expect(outcomes.map(\.samples) == [1, 0])
        let stored = try await store.records(matching: RecordQuery())
        #expect(stored.count == 3)
        for record in stored {
            switch record.body {
            case .event(let event) where event.eventID == odd.event.eventID:
                #expect(event.name == awkward)
                #expect(event.errorCategory == "\\")
                #expect(event.attributes == ["k\tey": awkward, "empty": ""])
                #expect(event.durationMs == 1e-7)
            case .event(let event):
                #expect(event.eventID == plain.event.eventID)
                #expect(record.agentID == "web-01")
                #expect(event.attributes.isEmpty)
                #expect(event.durationMs == 123_456.789)
            case .sample(let stored):
                #expect(stored.metric == awkward)
                #expect(stored.labels == ["l": "a\tb\\c"])
            }
        }
    }

    @Test("an agent that failed over stays connected when its old replica notices the close")
    func connectionsPerReplica() async throws {
        let fixture = try await StoreFixture.open(.postgres, hubID: "hub-a")
        let a = fixture.store
        let b = try await fixture.reopen(hubID: "hub-b")
        let hello = AgentHello(
            agentID: "web-01", streamID: Records.stream(1), hostname: "h", agentVersion: "1", labels: [:])
        _ = try await a.openStream(hello, at: now)
        _ = try await b.openStream(hello, at: now + 1)
        try await a.markDisconnected(agentID: "web-01", at: now + 2)
        try await a.markAllDisconnected()
        #expect(try await a.agents().first?.connected == true)
        try await b.markDisconnected(agentID: "web-01", at: now + 3)
        #expect(try await a.agents().first?.connected == false)
    }

    @Test("decision and alert state saved by one replica is what another loads")
    func sharedState() async throws {
        let fixture = try await StoreFixture.open(.postgres, hubID: "hub-a")
        let b = try await fixture.reopen(hubID: "hub-b")
        var state = DecisionState()
        state.callWatermark = 42
        try await fixture.store.saveDecisionState(state, at: now)
        #expect(try await b.loadDecisionState().state.callWatermark == 42)
        try await fixture.store.saveAlerts([], at: now)
        #expect(try await b.loadAlerts().alerts.isEmpty)
    }

    @Test("the breakers read each commit's calls once, never past a commit still open")
    func callsInCommitOrder() async throws {
        // A server of its own: snapshot xmin is cluster-wide, so other tests' transactions would hold it back.
        let server = try PostgresServer.dedicated()
        defer { server.stop() }
        let database = try server.database()
        let a = try await StoreFixture.openPostgres(server: server, database: database, hubID: "hub-a")
        let b = try await StoreFixture.openPostgres(server: server, database: database, hubID: "hub-b")
        let start = try await a.lastEventRowid()
        _ = try await a.commit([batch("web-01", first: 1, Records.events(1...10))], at: now)
        // A commit that stays open while another commits after it and the reader moves on.
        let (opened, open) = AsyncStream.makeStream(of: Void.self)
        let (released, release) = AsyncStream.makeStream(of: Void.self)
        let slow = Task {
            try await a.pool.client.withTransaction(logger: a.logger) { connection in
                try await PostgresCalls.append(
                    [
                        CallRecord(
                            timeUnixNano: now, service: "slow", version: "1", host: "h", failed: true, durationMs: 1)
                    ],
                    connection: connection, logger: a.logger)
                open.yield()
                for await _ in released { break }
            }
        }
        for await _ in opened { break }
        _ = try await b.commit([batch("web-02", first: 1, Records.events(11...20))], at: now)
        let first = try await a.calls(afterRowid: start, sinceUnixNano: 0, limit: 10_000)
        #expect(first.calls.count == 10, "only the commit before the open one: \(first.calls.count)")
        // Reading again while it is open moves nothing on: the commit after it waits behind it.
        let again = try await a.calls(afterRowid: first.lastRowid, sinceUnixNano: 0, limit: 10_000)
        #expect(again.calls.isEmpty, "read past an open commit: \(again.calls.count)")
        release.yield()
        try await slow.value
        let second = try await a.calls(afterRowid: again.lastRowid, sinceUnixNano: 0, limit: 10_000)
        #expect(second.calls.count == 11, "the open commit's call and the one after it: \(second.calls.count)")
        #expect(second.calls.contains { $0.service == "slow" })
        let third = try await a.calls(afterRowid: second.lastRowid, sinceUnixNano: 0, limit: 10_000)
        #expect(third.calls.isEmpty)
    }

    @Test("losing PostgreSQL fails commits (no ack) without crashing; they succeed again once it is back")
    func serverLoss() async throws {
        let server = try PostgresServer.dedicated()
        defer { server.stop() }
        let database = try server.database()
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let store = try await PostgresEventStore.open(
            .init(target: try PostgresTarget.parse(server.url(database))), hubID: "hub-a", timeout: .seconds(3),
            logger: quiet)
        _ = try await store.commit([batch(first: 1, Records.events(1...5))], at: now)
        try server.crash()
        let failed = await #expect(throws: StoreError.self) {
            _ = try await store.commit([batch(first: 6, Records.events(6...10))], at: now)
        }
        #expect(failed?.message.contains(store.location) == true, "\(String(describing: failed))")
        try server.restart()
        let back = await eventually(30) {
            (try? await store.commit([batch(first: 6, Records.events(6...10))], at: now)) != nil
        }
        #expect(back, "commits did not resume after the server came back")
        #expect(try await store.totals().events == 10)
    }

    @Test("a link to PostgreSQL gone silent fails every call within the timeout; commits resume when it is back")
    func silentLink() async throws {
        let server = try PostgresServer.dedicated()
        defer { server.stop() }
        let database = try server.database()
        // TCP through a proxy that can stop passing bytes while keeping both sockets open, as a cut link or a
        // frozen server looks: no error arrives, the queries just wait.
        let proxy = try FaultProxy(targetPort: server.port)
        defer { proxy.close() }
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let store = try await PostgresEventStore.open(
            .init(
                target: try PostgresTarget.parse("postgres://vigil@127.0.0.1:\(proxy.port)/\(database)?sslmode=disable")
            ),
            hubID: "hub-a", timeout: .seconds(2), logger: quiet)
        let hello = AgentHello(
            agentID: "web-01", streamID: Records.stream(1), hostname: "h", agentVersion: "1", labels: [:])
        _ = try await store.openStream(hello, at: now)
        _ = try await store.commit([batch(first: 1, Records.events(1...5))], at: now)
        proxy.set(.blackhole)
        // One after another, as the hub's committer calls them: each must give up on time, or the next one (and
        // every ack behind it) would wait for TCP to time out.
        for round in 0..<2 {
            let started = ContinuousClock.now
            await #expect(throws: StoreError.self) { _ = try await store.openStream(hello, at: now) }
            await #expect(throws: StoreError.self) {
                _ = try await store.commit([batch(first: 6, Records.events(6...10))], at: now)
            }
            let failed = await #expect(throws: StoreError.self) { _ = try await store.totals() }
            #expect(
                failed?.message.contains("no answer from \(store.location) within 2 s") == true,
                "\(String(describing: failed))")
            let took = ContinuousClock.now - started
            #expect(took < .seconds(9), "round \(round): three calls took \(took) with a 2 s timeout")
        }
        proxy.set(.pass)
        let back = await eventually(30) {
            (try? await store.commit([batch(first: 6, Records.events(6...10))], at: now)) != nil
        }
        #expect(back, "commits did not resume after the link came back")
        #expect(try await store.totals().events == 10)
        #expect(try await store.openStream(hello, at: now) == 10)
    }

    @Test("one replica of two leads; when its session ends the other leads within two tries")
    func leaderElection() async throws {
        let server = try PostgresServer.start()
        let database = try server.database()
        // The schema (the heartbeat rows' table) comes with the store.
        _ = try await StoreFixture.openPostgres(server: server, database: database, hubID: "hub-a")
        let connection = PostgresEventStore.Connection(target: try PostgresTarget.parse(server.url(database)))
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let electedCount = Atomic<Int>(0)
        let elections = ["hub-a", "hub-b"].map { hub in
            LeaderElection(
                connection: connection, hubID: hub, tryInterval: .milliseconds(200), logger: quiet,
                onElected: { electedCount.add(1, ordering: .relaxed) })
        }
        let tasks = elections.map { election in Task { try await election.run() } }
        #expect(await eventually(10) { elections.contains(where: \.isLeader) })
        try await Task.sleep(for: .milliseconds(600))
        #expect(elections.filter(\.isLeader).count == 1, "exactly one leader")
        let first = try #require(elections.firstIndex { $0.isLeader })
        #expect(await elections[first].confirm())
        // The leader goes away (its task ends and its session with it): the other takes over.
        let stopped = ContinuousClock.now
        tasks[first].cancel()
        _ = try? await tasks[first].value
        let other = 1 - first
        #expect(await eventually(10) { elections[other].isLeader })
        let gap = ContinuousClock.now - stopped
        #expect(gap < .milliseconds(400) + .milliseconds(300), "took over after \(gap)")
        #expect(!elections[first].isLeader)
        #expect(await !elections[first].confirm())
        #expect(electedCount.load(ordering: .relaxed) == 2)
        // Each replica's heartbeat row says who leads.
        let rows = try server.psql(database, "SELECT hub_id, leader FROM replicas ORDER BY hub_id")
        #expect(rows.contains("hub-\(other == 0 ? "a" : "b")|t"), "\(rows)")
        tasks[other].cancel()
        _ = try? await tasks[other].value
    }

    @Test("a leader whose link goes silent steps down, and the server frees the lock for the other replica")
    func leaderLinkSilent() async throws {
        let server = try PostgresServer.start()
        let database = try server.database()
        _ = try await StoreFixture.openPostgres(server: server, database: database, hubID: "hub-a")
        let proxy = try FaultProxy(targetPort: server.port)
        defer { proxy.close() }
        let viaProxy = PostgresEventStore.Connection(
            target: try PostgresTarget.parse("postgres://vigil@127.0.0.1:\(proxy.port)/\(database)?sslmode=disable"))
        let direct = PostgresEventStore.Connection(target: try PostgresTarget.parse(server.url(database)))
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let a = LeaderElection(connection: viaProxy, hubID: "hub-a", tryInterval: .milliseconds(200), logger: quiet) {}
        let taskA = Task { try await a.run() }
        #expect(await eventually(10) { a.isLeader })
        let b = LeaderElection(connection: direct, hubID: "hub-b", tryInterval: .milliseconds(200), logger: quiet) {}
        let taskB = Task { try await b.run() }
        defer {
            taskA.cancel()
            taskB.cancel()
        }
        try await Task.sleep(for: .milliseconds(600))
        #expect(!b.isLeader, "the lock is held")
        // The link goes silent: no reset, no close, nothing arrives in either direction.
        let cut = ContinuousClock.now
        proxy.set(.blackhole)
        #expect(await eventually(5) { !a.isLeader }, "the cut-off leader went on leading")
        let steppedDown = ContinuousClock.now - cut
        #expect(await !a.confirm())
        // The server ends the silent session after its idle limit, which frees the lock.
        #expect(await eventually(10) { b.isLeader }, "the other replica never took over")
        let tookOver = ContinuousClock.now - cut
        #expect(steppedDown < .seconds(2), "stepped down after \(steppedDown)")
        #expect(tookOver < a.idleLimit + .seconds(2), "took over \(tookOver) after the cut")
        #expect(!a.isLeader)
    }
}
