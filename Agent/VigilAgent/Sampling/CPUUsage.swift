/// Turns two `/proc/stat` snapshots into `cpu.utilization`, the share of time spent working (0–1).
///
/// `utilization = Δbusy / Δtotal` with `busy = total − idle − iowait`. An interval is skipped (`nil`)
/// rather than reported wrong when any counter went backwards (a wrap, a counter reset, the kernel
/// switching an offline CPU's idle time to another clock, or iowait's documented regressions) or when
/// no time passed. So the result is always within 0...1.
public enum CPUUsage {
    /// The utilization between two readings of the same counters, or `nil` if the interval must be skipped.
    public static func utilization(from previous: CPUTimes, to current: CPUTimes) -> Double? {
        guard current.isMonotonic(since: previous) else { return nil }
        let total = current.total &- previous.total
        guard total > 0 else { return nil }
        let busy = current.busy &- previous.busy
        return min(1, Double(busy) / Double(total))
    }

    /// Whole-host utilization. Uses the aggregate `cpu` line, which stays valid when a CPU goes
    /// offline or comes online between the snapshots; falls back to the sum of the CPUs present in
    /// both snapshots only when an aggregate line is missing.
    public static func hostUtilization(from previous: ProcStat, to current: ProcStat) -> Double? {
        if let before = previous.aggregate, let after = current.aggregate {
            return utilization(from: before, to: after)
        }
        var before = CPUTimes.zero
        var after = CPUTimes.zero
        var shared = 0
        for (cpu, times) in current.perCPU {
            guard let earlier = previous.perCPU[cpu] else { continue }
            guard times.isMonotonic(since: earlier) else { return nil }
            before = before + earlier
            after = after + times
            shared += 1
        }
        return shared > 0 ? utilization(from: before, to: after) : nil
    }

    /// Utilization of each CPU present in both snapshots; a CPU that went offline or came online in
    /// between, or whose counters went backwards, is left out.
    public static func perCPUUtilization(from previous: ProcStat, to current: ProcStat) -> [Int: Double] {
        var result: [Int: Double] = [:]
        for (cpu, times) in current.perCPU {
            if let earlier = previous.perCPU[cpu], let value = utilization(from: earlier, to: times) {
                result[cpu] = value
            }
        }
        return result
    }
}
