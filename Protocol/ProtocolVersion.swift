/// Constants of wire protocol v1 (DESIGN §2).
public enum WireProtocol {
    /// The protocol version this build speaks, sent in `Hello` and `Welcome`.
    public static let version: UInt32 = 1
    /// The hub's default TLS port.
    public static let defaultHubPort = 7443
    /// Bytes in a stream id and an event id.
    public static let idBytes = 16
    /// The largest `Hello` frame a hub decodes (DESIGN §2): a bigger one is refused with `TOO_LARGE` before any
    /// of it is decoded, so a hostile Hello cannot make the hub build 100,000 labels out of 16 MiB.
    public static let maxHelloBytes = 64 * 1024
}
