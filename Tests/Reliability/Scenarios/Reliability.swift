import Testing

/// Issue 6: the fault scenarios, each a nested suite runnable alone (`swift test --filter AgentKill`).
/// They run one at a time: each starts real daemons, and two at once on two cores would measure the
/// machine rather than Vigil. Sizes come from ``Scale`` (`VIGIL_SOAK=1` for the full matrix).
@Suite("Reliability", .serialized)
enum Reliability {}
