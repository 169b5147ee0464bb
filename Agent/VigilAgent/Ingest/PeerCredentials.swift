/// The local process on the other end of an ingest connection, from `SO_PEERCRED`.
public struct PeerCredentials: Sendable, Hashable {
    /// The peer's user id.
    public var uid: UInt32
    /// The peer's process id.
    public var pid: Int32

    /// Creates credentials.
    public init(uid: UInt32, pid: Int32) {
        self.uid = uid
        self.pid = pid
    }
}
