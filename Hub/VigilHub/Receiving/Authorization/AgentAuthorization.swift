import Synchronization
import VigilProtocol

/// Why a record was refused: which of the two sources did not allow its service. The label in
/// `vigil_hub_records_refused_total{reason}`, `/v1/status` and `vigilctl agents`.
public enum RefusalReason: String, Sendable, Hashable, CaseIterable, Codable {
    /// The agent's certificate names services (`vigil:service:`), and not this one.
    case certificate
    /// hub.yaml's `authorization` does not allow it for this agent.
    case policy
}

/// What one agent may speak for now: its certificate's grant and the hub policy's, both of which must allow a
/// service (the stricter wins). Pure.
public struct AgentAuthorization: Sendable, Hashable {
    /// From the certificate's `vigil:service:` names (``ServiceGrant/all`` when it has none).
    public var certificate: ServiceGrant
    /// From hub.yaml's `authorization` (``ServiceGrant/all`` when there is none).
    public var policy: ServiceGrant

    /// Creates an authorization.
    public init(certificate: ServiceGrant = .all, policy: ServiceGrant = .all) {
        self.certificate = certificate
        self.policy = policy
    }

    /// Nil when the agent may speak for `service`; otherwise the source that refuses it (the certificate first:
    /// it is the agent's identity, the policy only narrows it).
    public func refusal(for service: String) -> RefusalReason? {
        if !certificate.permits(service) { return .certificate }
        if !policy.permits(service) { return .policy }
        return nil
    }

    /// Whether every service is allowed, so that records need no check at all.
    public var allowsAll: Bool { certificate.isAll && policy.isAll }

    /// Why `service` is refused, in words for the `Reject` message and the log.
    public func explain(_ reason: RefusalReason, service: String) -> String {
        switch reason {
        case .certificate:
            "the agent's certificate allows services \(certificate) (URI SANs \(ServiceGrant.uriPrefix)NAME), "
                + "not \(QuotedText.quote(service))"
        case .policy:
            "the hub's authorization policy allows this agent services \(policy), not \(QuotedText.quote(service))"
        }
    }
}

/// The hub policy in force, shared by every connection and replaced when the configuration is reloaded.
/// Connections read it per batch, so a narrower policy applies to agents already connected.
public final class AuthorizationState: Sendable {
    /// The policy and a number that changes with every replacement (connections recompute when it does).
    public struct Current: Sendable {
        /// nil: hub.yaml has no `authorization` (every agent may speak for what its certificate allows).
        public var policy: AuthorizationPolicy?
        /// Bumped by every ``AuthorizationState/replace(_:)``.
        public var generation: UInt64
    }

    private let state: Mutex<Current>

    /// State holding `policy`.
    public init(_ policy: AuthorizationPolicy?) {
        state = Mutex(Current(policy: policy, generation: 1))
    }

    /// The policy now.
    public var current: Current { state.withLock { $0 } }

    /// The generation now: one atomic read, cheap enough for every batch.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Puts `policy` in force; returns whether it differs from the one before.
    @discardableResult
    public func replace(_ policy: AuthorizationPolicy?) -> Bool {
        state.withLock { s in
            guard s.policy != policy else { return false }
            s.policy = policy
            s.generation += 1
            return true
        }
    }

    /// What `agentID` with a certificate granting `certificate` may speak for under the current policy.
    public func authorization(agentID: String, certificate: ServiceGrant) -> (AgentAuthorization, generation: UInt64) {
        let now = current
        let policy = now.policy?.grant(for: agentID).grant ?? .all
        return (AgentAuthorization(certificate: certificate, policy: policy), now.generation)
    }
}
