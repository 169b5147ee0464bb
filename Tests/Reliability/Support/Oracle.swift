import Foundation

/// What the load generator learnt about one write (Jepsen's set checker vocabulary).
enum WriteOutcome: Int, Comparable, Codable, Sendable {
    /// The agent refused it with a reason: it must never be stored.
    case rejected = 0
    /// The connection died before the answer: it may or may not be stored.
    case unknown = 1
    /// The agent said it is durable: it must be stored exactly once.
    case acknowledged = 2

    static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Every write the clients attempted, by event id, with the strongest outcome any attempt got
/// (acknowledged > unknown > rejected: a retry of an unknown write that is acknowledged is acknowledged).
struct Ledger: Sendable {
    private(set) var outcomes: [Data: WriteOutcome] = [:]
    /// Writes for a service their agent may not speak for (the hub's authorization policy): the agent takes
    /// them, the hub must refuse them, so acknowledged by the agent they are still never stored.
    private(set) var unauthorized: Set<Data> = []

    /// Marks a write as one the hub must refuse.
    mutating func markUnauthorized(_ id: Data) { unauthorized.insert(id) }

    /// Records one attempt's outcome.
    mutating func record(_ id: Data, _ outcome: WriteOutcome) {
        if let known = outcomes[id], known >= outcome { return }
        outcomes[id] = outcome
    }

    /// Adds another ledger's attempts.
    mutating func merge(_ other: Ledger) {
        for (id, outcome) in other.outcomes { record(id, outcome) }
        unauthorized.formUnion(other.unauthorized)
    }

    /// Writes with the given final outcome.
    func count(_ outcome: WriteOutcome) -> Int { outcomes.values.lazy.filter { $0 == outcome }.count }
}

/// The oracle's judgement of one run: the ledger against what the hub stored.
struct Verdict: Sendable, Codable, CustomStringConvertible {
    var attempted = 0
    var acknowledged = 0
    var rejected = 0
    var unknown = 0
    /// Acknowledged but absent. Must be 0.
    var lost = 0
    /// Stored more than once (each extra copy counts). Must be 0.
    var duplicated = 0
    /// Stored but never attempted. Must be 0.
    var phantom = 0
    /// Refused with a reason, yet stored. Must be 0.
    var rejectedButStored = 0
    /// For a service their agent may not speak for, acknowledged by the agent and (rightly) not stored: neither
    /// lost nor phantom.
    var refusedByHub = 0
    /// For a service their agent may not speak for, yet stored: the hub let them through. Must be 0.
    var unauthorizedStored = 0
    /// Unknown and present: reported.
    var recovered = 0
    /// Duplicates the hub skipped (`totals.duplicates`, both paths).
    var skippedDuplicates: UInt64 = 0
    /// Every stored record by `(agent_id, stream_id, seq)`, samples included, with the two dedupe paths apart.
    var seq: SeqAudit?
    /// Up to five example ids (hex) of each failure kind, for the message.
    var examples: [String: [String]] = [:]

    /// No loss, no duplicate, no phantom, nothing refused yet stored: by event id and by seq.
    var isSound: Bool {
        lost == 0 && duplicated == 0 && phantom == 0 && rejectedButStored == 0 && unauthorizedStored == 0
            && (seq?.isSound ?? true)
    }

    var description: String {
        "attempted \(attempted), acknowledged \(acknowledged), rejected \(rejected), unknown \(unknown); "
            + "lost \(lost), duplicated \(duplicated), phantom \(phantom), rejected-but-stored \(rejectedButStored), "
            + "recovered \(recovered), hub skipped \(skippedDuplicates) duplicates"
            + (refusedByHub + unauthorizedStored > 0
                ? "; refused by the hub \(refusedByHub), unauthorized yet stored \(unauthorizedStored)" : "")
            + (examples.isEmpty ? "" : "; examples \(examples)")
            + (seq.map {
                "; by seq: \($0.events) events and \($0.samples) samples in \($0.streams) streams, lost \($0.lost), "
                    + "duplicated \($0.duplicated), phantom \($0.phantom), seq resends skipped \($0.seqResendsSkipped), "
                    + "event-id retries skipped \($0.eventIDRetriesSkipped), refused by authorization \($0.refused)"
                    + ($0.forgottenStreamRows > 0 ? ", \($0.forgottenStreamRows) rows of forgotten streams" : "")
                    + ($0.examples.isEmpty ? "" : "; examples \($0.examples)")
            } ?? "")
    }
}

/// Classifies every write of a run against the hub's store, as Jepsen's set and queue checkers do. Pure.
enum Oracle {
    /// `stored` maps each event id in the hub to how many times it is stored; `isOurs` tells the ids the
    /// load generator could have produced (anything else stored is a phantom too).
    static func judge(ledger: Ledger, stored: [Data: Int], skippedDuplicates: UInt64) -> Verdict {
        var verdict = Verdict()
        verdict.skippedDuplicates = skippedDuplicates
        verdict.attempted = ledger.outcomes.count
        func example(_ kind: String, _ id: Data) {
            if verdict.examples[kind, default: []].count < 5 {
                verdict.examples[kind, default: []].append(id.map { String(format: "%02x", $0) }.joined())
            }
        }
        for (id, outcome) in ledger.outcomes {
            let copies = stored[id] ?? 0
            if copies > 1 {
                verdict.duplicated += copies - 1
                example("duplicated", id)
            }
            if ledger.unauthorized.contains(id) {
                // Whatever the agent answered, the hub must not store it.
                if copies > 0 {
                    verdict.unauthorizedStored += 1
                    example("unauthorized-stored", id)
                } else if outcome == .acknowledged {
                    verdict.refusedByHub += 1
                }
            }
            switch outcome {
            case .acknowledged:
                verdict.acknowledged += 1
                if copies == 0 && !ledger.unauthorized.contains(id) {
                    verdict.lost += 1
                    example("lost", id)
                }
            case .unknown:
                verdict.unknown += 1
                if copies > 0 { verdict.recovered += 1 }
            case .rejected:
                verdict.rejected += 1
                if copies > 0 {
                    verdict.rejectedButStored += 1
                    example("rejected-but-stored", id)
                }
            }
        }
        for (id, copies) in stored where ledger.outcomes[id] == nil {
            verdict.phantom += copies
            example("phantom", id)
        }
        return verdict
    }
}
