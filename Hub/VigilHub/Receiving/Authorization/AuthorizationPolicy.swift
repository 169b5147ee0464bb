import VigilProtocol

/// hub.yaml's `authorization`: which services each agent may speak for, by its id (DESIGN §8). Pure.
///
/// Invariants:
/// - Rules are tried in order; the first whose `match` glob matches the agent id decides. An agent no rule
///   matches gets `default`: every service (`allow`) or none (`deny`).
/// - The policy only narrows: the hub applies it together with the certificate's `vigil:service:` names, and a
///   service must be allowed by both (``AgentAuthorization``).
public struct AuthorizationPolicy: Sendable, Hashable {
    /// `authorization.default`.
    public enum Default: String, Sendable, Hashable, CaseIterable {
        /// An agent no rule matches may speak for every service (its certificate may still narrow it).
        case allow
        /// An agent no rule matches may speak for none.
        case deny
    }

    /// One entry of `authorization.agents`.
    public struct Rule: Sendable, Hashable {
        /// `match`: a glob on the agent id (`*` any run of characters, `?` one character).
        public var match: String
        /// `services`: what a matching agent may speak for.
        public var services: ServiceGrant

        /// Creates a rule.
        public init(match: String, services: ServiceGrant) {
            self.match = match
            self.services = services
        }
    }

    /// `authorization.default`.
    public var fallback: Default
    /// `authorization.agents`, in order.
    public var rules: [Rule]

    /// Creates a policy.
    public init(default fallback: Default, rules: [Rule] = []) {
        self.fallback = fallback
        self.rules = rules
    }

    /// What the policy grants `agentID`, and the rule that decided (nil: the default did).
    public func grant(for agentID: String) -> (grant: ServiceGrant, rule: Int?) {
        for (index, rule) in rules.enumerated() where Glob.matches(rule.match, agentID) {
            return (rule.services, index)
        }
        return (fallback == .allow ? .all : .only([]), nil)
    }
}

/// Shell-style globs on agent ids: `*` matches any run of characters (none too), `?` exactly one, anything
/// else itself. Compared by Unicode scalar, case-sensitively (agent ids are). Linear in the text for one `*`,
/// and never exponential: the classic two-pointer match that backtracks only to the last `*`.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.unicodeScalars)
        let t = Array(text.unicodeScalars)
        var (pi, ti) = (0, 0)
        var star: (p: Int, t: Int)?
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || (p[pi] != "*" && p[pi] == t[ti]) {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = (pi, ti)
                pi += 1
            } else if let last = star {
                pi = last.p + 1
                ti = last.t + 1
                star = (last.p, last.t + 1)
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
