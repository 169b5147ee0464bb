/// The services an agent may speak for (DESIGN §8). Pure; the agent and the hub read the same grant from the
/// agent's certificate, and the hub narrows it further with its `authorization` policy.
///
/// Invariants:
/// - A certificate grants through URI subject alternative names `vigil:service:NAME`; `vigil:service:*` grants
///   every service. A certificate with no such name grants every service (it says nothing about services), so
///   certificates made before authorization keep working until a policy says otherwise.
/// - Names are compared exactly: a service name is never a pattern, only `*` alone is.
public enum ServiceGrant: Sendable, Hashable, CustomStringConvertible {
    /// Every service.
    case all
    /// Only these services (possibly none).
    case only(Set<String>)

    /// The URI scheme and prefix of a service name in a certificate.
    public static let uriPrefix = "vigil:service:"

    /// The grant of a certificate whose URI subject alternative names are `uris`. Names with other prefixes are
    /// ignored; an empty name after the prefix grants nothing.
    public init(certificateURIs uris: [String]) {
        var names = Set<String>()
        var any = false
        for uri in uris where uri.hasPrefix(Self.uriPrefix) {
            let name = String(uri.dropFirst(Self.uriPrefix.count))
            if name == "*" { any = true } else if !name.isEmpty { names.insert(name) }
        }
        if any || uris.allSatisfy({ !$0.hasPrefix(Self.uriPrefix) }) {
            self = .all
        } else {
            self = .only(names)
        }
    }

    /// Whether `service` is granted.
    public func permits(_ service: String) -> Bool {
        switch self {
        case .all: true
        case .only(let names): names.contains(service)
        }
    }

    /// The granted names, sorted, for messages and status: `*` for every service, `none` for none.
    public var description: String {
        switch self {
        case .all: "*"
        case .only(let names): names.isEmpty ? "none" : names.sorted().joined(separator: ", ")
        }
    }

    /// Whether this grants every service.
    public var isAll: Bool {
        if case .all = self { return true }
        return false
    }
}
