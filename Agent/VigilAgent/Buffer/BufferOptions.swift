/// What the buffer does when storing a record would exceed its size cap.
public enum FullPolicy: String, Sendable, Hashable, CaseIterable {
    /// Delete the oldest records (shipped or not) to make room; every deleted record is counted as dropped.
    case dropOldest = "drop_oldest"
    /// Refuse the new record; the client is told and the refusal is counted.
    case rejectNew = "reject_new"
}

/// How hard a commit is pushed to disk.
public enum Durability: String, Sendable, Hashable, CaseIterable {
    /// `synchronous=NORMAL` in WAL mode: a commit survives a process crash; a power loss may lose the
    /// last commits.
    case normal
    /// `synchronous=FULL`: a commit survives a power loss, at the cost of an fsync per commit.
    case full
}

/// Settings of the agent's buffer (DESIGN §7, agent.yaml `buffer:`).
public struct BufferOptions: Sendable, Hashable {
    /// The database file. Default `/var/lib/vigil/agent.db`.
    public var path: String
    /// Cap on stored record bytes (payload plus ``RecordBuffer/rowOverheadBytes`` per record).
    /// Default 1 GiB.
    public var maxBytes: Int
    /// What happens at the cap. Default ``FullPolicy/dropOldest``.
    public var whenFull: FullPolicy
    /// Commit durability. Default ``Durability/normal``.
    public var durability: Durability
    /// How many times given to client event ids are remembered across restarts (``StampedTimes``). Default
    /// 131,072; not a configuration key.
    public var rememberedTimes = 131_072

    /// Creates options; every argument but the path has the documented default.
    public init(
        path: String = "/var/lib/vigil/agent.db",
        maxBytes: Int = 1 << 30,
        whenFull: FullPolicy = .dropOldest,
        durability: Durability = .normal
    ) {
        self.path = path
        self.maxBytes = maxBytes
        self.whenFull = whenFull
        self.durability = durability
    }
}
