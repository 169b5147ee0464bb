/// The metric names the agent samples (DESIGN §4), as they appear in `Sample.metric`.
public enum HostMetric {
    /// Share of CPU time spent working, whole host, 0–1.
    public static let cpuUtilization = "cpu.utilization"
    /// `MemTotal − MemAvailable`, bytes.
    public static let memoryUsedBytes = "memory.used_bytes"
    /// Used memory over total memory, 0–1.
    public static let memoryUtilization = "memory.utilization"
    /// Bytes in use on a mount (label `mount`).
    public static let diskUsedBytes = "disk.used_bytes"
    /// Used over used + available on a mount, like `df` (label `mount`), 0–1.
    public static let diskUtilization = "disk.utilization"
    /// Bytes read per second from a block device (label `device`).
    public static let diskReadBytes = "disk.read_bytes"
    /// Bytes written per second to a block device (label `device`).
    public static let diskWriteBytes = "disk.write_bytes"
    /// Accept-queue depth of a listening TCP port (label `port`), items.
    public static let queueDepth = "queue.depth"
    /// Records in the agent's buffer.
    public static let agentBufferRecords = "agent.buffer.records"
    /// Bytes of records in the agent's buffer.
    public static let agentBufferBytes = "agent.buffer.bytes"
    /// Records the agent dropped since its buffer was created.
    public static let agentDropped = "agent.dropped"
}
