/// Vigil agent library: Sampling/, Ingest/, Buffer/, Shipping/ and Configuration/ (DESIGN §3, §4, §7).
public enum VigilAgentInfo {
    /// The agent version reported in `Hello`.
    public static let version = "0.1.0"
}
