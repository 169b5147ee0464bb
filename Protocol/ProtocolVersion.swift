/// Constants of wire protocol v1 (DESIGN §2).
public enum WireProtocol {
    /// The protocol version this build speaks, sent in `Hello` and `Welcome`.
    public static let version: UInt32 = 1
    /// The hub's default TLS port.
    public static let defaultHubPort = 7443
    /// Bytes in a stream id and an event id.
    public static let idBytes = 16
}
