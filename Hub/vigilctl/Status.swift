import ArgumentParser

extension VigilCtl {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Hub status: uptime, ingest rates, totals, duplicates, rejects, connected agents."
        )

        @OptionGroup var hub: HubOptions

        func run() async throws {
            try await hub.run { client throws(HubClientError) in
                let (status, raw) = try await client.get("/v1/status", as: StatusBody.self)
                if hub.json {
                    printRaw(raw)
                } else {
                    print(Self.table(status).render())
                }
            }
        }

        static func table(_ s: StatusBody) -> Table {
            let rejects = s.rejects.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let reasons = (s.tls_handshake_failures_by_reason ?? [:]).filter { $0.value > 0 }.sorted { $0.key < $1.key }
            let tlsFailures =
                "\(s.tls_handshake_failures)"
                + (reasons.isEmpty ? "" : " (" + reasons.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")")
            let rate = (s.ingest.records_per_second * 10).rounded() / 10
            var rows: [[String]] = [
                ["hub", "\(s.hub_id) (version \(s.hub_version))"],
                ["uptime", Format.duration(seconds: s.uptime_seconds)],
                ["store", "\(s.store.kind) \(s.store.path)"],
                ["ingest", "\(rate) records/s (last \(s.ingest.window_seconds) s), \(s.ingest.queued_records) queued"],
                ["records", "\(s.totals.records) (events \(s.totals.events), samples \(s.totals.samples))"],
                [
                    "duplicates",
                    "\(s.totals.duplicates) (seq \(s.totals.duplicate_seqs), event id \(s.totals.duplicate_events))",
                ],
                ["gaps", "\(s.totals.gaps) (missing records \(s.totals.missing_records))"],
                ["agents", "\(s.agents_connected) connected, \(s.totals.agents) known, \(s.totals.streams) streams"],
                ["connections", "\(s.connections.open) open, \(s.connections.accepted) accepted"],
                ["rejects", rejects.isEmpty ? "none" : rejects],
                ["tls failures", tlsFailures],
            ]
            // Replicas on one PostgreSQL: one line each, the leader marked.
            for replica in s.replicas ?? [] {
                let beat = (replica.last_beat_seconds_ago * 10).rounded() / 10
                let role = !replica.alive ? "gone" : replica.leader ? "leader" : "follower"
                rows.append(["replica", "\(replica.hub_id) \(role), listen \(replica.listen), beat \(beat) s ago"])
            }
            return Table(headers: ["FIELD", "VALUE"], rows: rows)
        }
    }
}
