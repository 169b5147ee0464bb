import Testing
import VigilAgent

@Suite("CPU utilization")
struct SamplingCPUUsageTests {
    private func stat(_ name: String) throws -> ProcStat {
        ProcStat.parse(try ProcFixture.bytes(name))
    }

    @Test("Utilization over a real interval is busy jiffies over total jiffies")
    func realInterval() throws {
        // Both CPUs were busy compiling while the fixtures were captured: Δuser 228, Δsystem 28,
        // Δsteal 3, Δidle 0, so the host was fully busy.
        let value = CPUUsage.hostUtilization(from: try stat("real/stat.1"), to: try stat("real/stat.2"))
        #expect(value == 1.0)
        #expect(CPUUsage.perCPUUtilization(from: try stat("real/stat.1"), to: try stat("real/stat.2")) == [0: 1, 1: 1])
    }

    @Test("A CPU going offline leaves the host figure on the aggregate line and drops that CPU")
    func cpuOffline() throws {
        let before = try stat("edge/stat_offline.1")
        let after = try stat("edge/stat_offline.2")
        // Aggregate: Δbusy = 300 + 100 = 400, Δtotal = 400 + 500 + 100 = 1000.
        #expect(CPUUsage.hostUtilization(from: before, to: after) == 0.4)
        let perCPU = CPUUsage.perCPUUtilization(from: before, to: after)
        #expect(perCPU.keys.sorted() == [0, 1, 2])
        #expect(abs((perCPU[0] ?? -1) - 140.0 / 360.0) < 1e-12)
        #expect(perCPU[1] == 0.4)
        #expect(abs((perCPU[2] ?? -1) - 120.0 / 290.0) < 1e-12)
    }

    @Test("Without aggregate lines the host figure sums the CPUs present in both snapshots")
    func fallbackToPerCPU() throws {
        var before = try stat("edge/stat_offline.1")
        var after = try stat("edge/stat_offline.2")
        before.aggregate = nil
        after.aggregate = nil
        // cpu0..2: Δbusy 140 + 140 + 120 = 400, Δtotal 360 + 350 + 290 = 1000.
        #expect(CPUUsage.hostUtilization(from: before, to: after) == 0.4)
    }

    @Test("A counter going backwards skips the interval instead of reporting a wrong value")
    func counterRegression() throws {
        let before = try stat("edge/stat_backwards.1")
        let after = try stat("edge/stat_backwards.2")
        #expect(CPUUsage.hostUtilization(from: before, to: after) == nil)
        // cpu0's iowait went backwards; cpu1 is fine: Δbusy 75 of Δtotal 175.
        let perCPU = CPUUsage.perCPUUtilization(from: before, to: after)
        #expect(perCPU.keys.sorted() == [1])
        #expect(abs((perCPU[1] ?? -1) - 75.0 / 175.0) < 1e-12)
    }

    @Test("A wrapped counter skips the interval")
    func counterWrap() throws {
        #expect(CPUUsage.hostUtilization(from: try stat("edge/stat_wrap.1"), to: try stat("edge/stat_wrap.2")) == nil)
    }

    @Test("No elapsed time or no common CPU yields no value, and values stay within 0...1")
    func degenerateIntervals() throws {
        let same = try stat("edge/stat_offline.1")
        #expect(CPUUsage.hostUtilization(from: same, to: same) == nil)
        #expect(CPUUsage.hostUtilization(from: ProcStat(aggregate: nil), to: same) == nil)
        let idle = CPUTimes(user: 0, nice: 0, system: 0, idle: 100)
        let idleLater = CPUTimes(user: 0, nice: 0, system: 0, idle: 200)
        #expect(CPUUsage.utilization(from: idle, to: idleLater) == 0)
        let busyLater = CPUTimes(user: 50, nice: 0, system: 0, idle: 100, steal: 50)
        #expect(CPUUsage.utilization(from: idle, to: busyLater) == 1)
    }
}
