import Foundation
import VigilProtocol

/// Turns a record a client sent into the bytes the buffer stores. The time and new event ids are passed
/// in; the only state is the shared memory of times given to client ids (``StampedTimes``).
///
/// - An event without `event_id` gets a new random one; without `time_unix_nano`, the agent's time, or,
///   when the client's `event_id` was seen before without a time, the time it got then
///   (``StampedTimes``), so that a retried write is a duplicate the hub recognises;
///   without `service` / `version`, the agent's configured labels. Samples get the time the same way
///   and the agent's `service` and `version` labels when they lack them.
/// - Events get `peer.uid` and `peer.pid` attributes from the socket's credentials, replacing any the
///   client sent, so a client cannot claim to be another process.
/// - The result is validated (``RecordValidator``); a record that fails is refused with the reason.
/// - A record for a service the agent's certificate does not let it speak for (``CertificateServices``) is
///   refused with code `unauthorized`, naming the service and what the certificate allows.
///
/// For binary clients the stored bytes are the client's own bytes followed by a short encoded
/// `Record` carrying only the filled-in fields. Protobuf merges a repeated occurrence of a message
/// field into the first, so the stored bytes decode to exactly the prepared record, without a
/// decode-modify-encode round trip of the whole record.
public struct RecordPreparer: Sendable {
    /// The agent's labels applied as defaults.
    public var service: String
    /// The agent's version label.
    public var version: String
    /// The validation rules.
    public var validator: RecordValidator
    /// Times given to events that came with an id but no time, shared by every connection.
    public let stampedTimes: StampedTimes
    /// What the agent's certificate lets it speak for (every service when nil).
    public let services: CertificateServices?

    /// Creates a preparer with the agent's `service` and `version` labels.
    public init(
        service: String, version: String, validator: RecordValidator = RecordValidator(),
        stampedTimes: StampedTimes = StampedTimes(), services: CertificateServices? = nil
    ) {
        self.services = services
        self.service = service
        self.version = version
        self.validator = validator
        self.stampedTimes = stampedTimes
    }

    /// Suffixes that do not depend on the record, per connection: when the client supplies the event id
    /// and time, what the agent appends (default service and version, the peer's credentials) is the
    /// same for every event of the connection, so it is encoded once.
    public struct SuffixCache: Sendable {
        var byMask: [UInt8: [UInt8]] = [:]
        /// The peer's uid and pid as attribute values, made once per peer rather than once per record.
        var peerText: (peer: PeerCredentials, uid: String, pid: String)?

        mutating func text(of peer: PeerCredentials) -> (uid: String, pid: String) {
            if let cached = peerText, cached.peer == peer { return (cached.uid, cached.pid) }
            let text = (uid: String(peer.uid), pid: String(peer.pid))
            peerText = (peer, text.uid, text.pid)
            return text
        }

        /// An empty cache.
        public init() {}
    }

    /// Prepares a record decoded from `original` (the client's encoded `Record` bytes).
    public func prepare(
        decoded record: Vigil_V1_Record,
        original: some Collection<UInt8>,
        peer: PeerCredentials?,
        nowUnixNano: Int64,
        cache: inout SuffixCache,
        newEventID: () -> Data
    ) throws(ValidationError) -> [UInt8] {
        if case .event(var event) = record.body, !event.eventID.isEmpty, event.timeUnixNano != 0 {
            // Fast path: only record-independent fields are filled in.
            let text = peer.map { cache.text(of: $0) }
            let uid = text?.uid
            let pid = text?.pid
            let addService = event.service.isEmpty && !service.isEmpty
            let addVersion = event.version.isEmpty && !version.isEmpty
            let addPeer = peer != nil && (event.attributes["peer.uid"] != uid || event.attributes["peer.pid"] != pid)
            if addService { event.service = service }
            if addVersion { event.version = version }
            let newKeys =
                addPeer
                ? (event.attributes["peer.uid"] == nil ? 1 : 0) + (event.attributes["peer.pid"] == nil ? 1 : 0) : 0
            try validator.validate(event, extraAttributes: newKeys)
            try authorize(event.service, field: "event.service")
            let mask = (addService ? 1 : 0) | (addVersion ? 2 : 0) | (addPeer ? 4 : 0)
            var bytes = [UInt8]()
            bytes.reserveCapacity(original.count + 48)
            bytes.append(contentsOf: original)
            guard mask != 0 else { return bytes }
            if let suffix = cache.byMask[UInt8(mask)] {
                bytes.append(contentsOf: suffix)
                return bytes
            }
            var change = Vigil_V1_Event()
            if addService { change.service = service }
            if addVersion { change.version = version }
            if addPeer, let uid, let pid { change.attributes = ["peer.uid": uid, "peer.pid": pid] }
            let suffix = (try? Vigil_V1_Record.with { $0.event = change }.serializedBytes() as [UInt8]) ?? []
            cache.byMask[UInt8(mask)] = suffix
            bytes.append(contentsOf: suffix)
            return bytes
        }
        let (prepared, delta) = fill(record, peer: peer, nowUnixNano: nowUnixNano, newEventID: newEventID)
        try validator.validate(prepared)
        try authorize(prepared)
        var bytes = [UInt8]()
        bytes.reserveCapacity(original.count + 64)
        bytes.append(contentsOf: original)
        if let delta {
            // Encoding a small, fully in-memory message cannot fail.
            bytes.append(contentsOf: (try? delta.serializedBytes() as [UInt8]) ?? [])
        }
        return bytes
    }

    /// Prepares a record built in memory (from a JSON line) and encodes it whole.
    public func prepare(
        record: Vigil_V1_Record,
        peer: PeerCredentials?,
        nowUnixNano: Int64,
        newEventID: () -> Data
    ) throws(ValidationError) -> [UInt8] {
        let (prepared, _) = fill(record, peer: peer, nowUnixNano: nowUnixNano, newEventID: newEventID)
        try validator.validate(prepared)
        try authorize(prepared)
        return (try? prepared.serializedBytes() as [UInt8]) ?? []
    }

    /// Refuses a prepared record whose service (an event's `service`, a sample's `service` label) the certificate
    /// does not allow. A sample naming no service speaks for none and passes.
    private func authorize(_ record: Vigil_V1_Record) throws(ValidationError) {
        switch record.body {
        case .event(let event): try authorize(event.service, field: "event.service")
        case .sample(let sample):
            // An empty label speaks for no service, as at the hub.
            if let service = sample.labels["service"], !service.isEmpty {
                try authorize(service, field: "sample.labels[\"service\"]")
            }
        case nil: break
        }
    }

    private func authorize(_ service: String, field: String) throws(ValidationError) {
        guard let services, case let grant = services.current, !grant.permits(service) else { return }
        throw ValidationError(
            code: .unauthorized, field: field,
            message:
                "this agent may not speak for service \(QuotedText.quote(service)): its certificate allows \(grant) "
                + "(URI SANs \(ServiceGrant.uriPrefix)NAME)")
    }

    /// Returns the filled-in record and, when anything was filled, a `Record` holding only the changes.
    func fill(
        _ record: Vigil_V1_Record,
        peer: PeerCredentials?,
        nowUnixNano: Int64,
        newEventID: () -> Data
    ) -> (Vigil_V1_Record, Vigil_V1_Record?) {
        switch record.body {
        case .event(var event):
            var change = Vigil_V1_Event()
            var changed = false
            let clientID = !event.eventID.isEmpty
            if !clientID {
                change.eventID = newEventID()
                event.eventID = change.eventID
                changed = true
            }
            if event.timeUnixNano == 0 {
                // A new id cannot be a retry; a client's id may be.
                let time = clientID ? stampedTimes.time(for: event.eventID, now: nowUnixNano) : nowUnixNano
                change.timeUnixNano = time
                event.timeUnixNano = time
                changed = true
            }
            if event.service.isEmpty, !service.isEmpty {
                change.service = service
                event.service = service
                changed = true
            }
            if event.version.isEmpty, !version.isEmpty {
                change.version = version
                event.version = version
                changed = true
            }
            if let peer {
                let uid = String(peer.uid)
                let pid = String(peer.pid)
                if event.attributes["peer.uid"] != uid || event.attributes["peer.pid"] != pid {
                    change.attributes = ["peer.uid": uid, "peer.pid": pid]
                    event.attributes["peer.uid"] = uid
                    event.attributes["peer.pid"] = pid
                    changed = true
                }
            }
            var prepared = record
            prepared.event = event
            return (prepared, changed ? Vigil_V1_Record.with { $0.event = change } : nil)
        case .sample(var sample):
            var change = Vigil_V1_Sample()
            var changed = false
            if sample.timeUnixNano == 0 {
                change.timeUnixNano = nowUnixNano
                sample.timeUnixNano = nowUnixNano
                changed = true
            }
            for (key, value) in [("service", service), ("version", version)]
            where !value.isEmpty && sample.labels[key] == nil {
                change.labels[key] = value
                sample.labels[key] = value
                changed = true
            }
            var prepared = record
            prepared.sample = sample
            return (prepared, changed ? Vigil_V1_Record.with { $0.sample = change } : nil)
        case nil:
            return (record, nil)
        }
    }
}
