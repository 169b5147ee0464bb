/// Vigil hub library: Receiving/, Storage/, Analysis/, Alerting/, Admin/ (DESIGN §5, §6, §7).
public enum VigilHubInfo {
    /// The hub version reported in `Welcome` and `/v1/status`.
    public static let version = "0.1.0"
}
