import Foundation
import Testing
import VigilAgent

/// Reads the `/proc` text captured under `Fixtures/proc/` (`real/` from a live machine, `edge/` by hand).
enum ProcFixture {
    static func bytes(_ relativePath: String) throws -> ArraySlice<UInt8> {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let data = try Data(contentsOf: root.appendingPathComponent("proc").appendingPathComponent(relativePath))
        return ArraySlice(data)
    }
}

@Suite("Sampling parsers")
struct SamplingParserTests {
    @Test("The CPU lines of a real /proc/stat parse into aggregate and per-CPU counters")
    func procStatReal() throws {
        let stat = ProcStat.parse(try ProcFixture.bytes("real/stat.1"))
        #expect(
            stat.aggregate
                == CPUTimes(
                    user: 16703, nice: 0, system: 3106, idle: 56368, iowait: 378, irq: 0, softirq: 116, steal: 34)
        )
        #expect(stat.perCPU.keys.sorted() == [0, 1])
        #expect(
            stat.perCPU[1]
                == CPUTimes(user: 11641, nice: 0, system: 1751, idle: 24548, iowait: 349, softirq: 66, steal: 17))
    }

    @Test("Malformed /proc/stat lines are skipped and the good ones kept")
    func procStatMalformed() throws {
        let stat = ProcStat.parse(try ProcFixture.bytes("edge/stat_malformed"))
        #expect(stat.aggregate == CPUTimes(user: 100, nice: 0, system: 50, idle: 800, iowait: 50))
        #expect(stat.perCPU.keys.sorted() == [0, 5, 6])
        #expect(stat.perCPU[5] == CPUTimes(user: 7, nice: 0, system: 3, idle: 90))
        #expect(stat.perCPU[6] == CPUTimes(user: 1, nice: 2, system: 3, idle: 4))
        #expect(ProcStat.parse("") == ProcStat(aggregate: nil))
    }

    @Test("A /proc/stat from a kernel with only four counters reads the rest as zero")
    func procStatOldKernel() throws {
        let stat = ProcStat.parse(try ProcFixture.bytes("edge/stat_old_kernel"))
        #expect(stat.aggregate == CPUTimes(user: 300, nice: 20, system: 80, idle: 600))
        #expect(stat.aggregate?.total == 1000)
        #expect(stat.aggregate?.busy == 400)
    }

    @Test("Memory used is MemTotal minus MemAvailable, in bytes")
    func meminfoReal() throws {
        let memory = try #require(MemoryInfo.parse(try ProcFixture.bytes("real/meminfo.1")))
        #expect(memory.totalBytes == 24_683_656 * 1024)
        #expect(memory.usedBytes == 755_027_968)  // (24683656 − 23946324) kB × 1024
        #expect(abs(memory.utilization - 0.029871263803060617) < 1e-12)
    }

    @Test("Without MemAvailable, available memory is MemFree + Buffers + Cached")
    func meminfoOldKernel() throws {
        let memory = try #require(MemoryInfo.parse(try ProcFixture.bytes("edge/meminfo_no_available")))
        #expect(memory.usedBytes == 1_024_000 * 1024)
        #expect(memory.utilization == 0.5)
    }

    @Test("A /proc/meminfo without a readable MemTotal yields nothing")
    func meminfoMalformed() throws {
        #expect(MemoryInfo.parse(try ProcFixture.bytes("edge/meminfo_malformed")) == nil)
        #expect(MemoryInfo.parse("") == nil)
    }

    @Test("By default only whole disks are kept: no partitions, loop or RAM devices")
    func diskstatsDefaultFilter() throws {
        let stats = DiskStats.parse(try ProcFixture.bytes("edge/diskstats.1"), filter: DiskDeviceFilter(devices: []))
        #expect(stats.devices.map(\.name) == ["sda", "nvme0n1", "mmcblk0", "xvda", "dm-0", "md0", "sr0"])
        #expect(stats.devices[0] == DiskStats.Device(name: "sda", sectorsRead: 20000, sectorsWritten: 40000))

        let real = DiskStats.parse(try ProcFixture.bytes("real/diskstats.1"), filter: DiskDeviceFilter(devices: []))
        #expect(real.devices == [DiskStats.Device(name: "vda", sectorsRead: 4_542_658, sectorsWritten: 2_426_584)])
    }

    @Test("Configured devices are kept exactly, partitions and loop devices included")
    func diskstatsConfiguredFilter() throws {
        let filter = DiskDeviceFilter(devices: ["sda1", "loop0", "nvme0n1p1", "missing"])
        let stats = DiskStats.parse(try ProcFixture.bytes("edge/diskstats.1"), filter: filter)
        #expect(stats.devices.map(\.name) == ["loop0", "sda1", "nvme0n1p1"])
    }

    @Test("The whole-disk rule tells partitions from disks by name")
    func wholeDiskRule() {
        let filter = DiskDeviceFilter(devices: [])
        for disk in [
            "sda", "sdaa", "vda", "xvdb", "hdc", "nvme0n1", "nvme10n2", "mmcblk0", "md127", "dm-3", "sr0", "nbd0",
        ] {
            #expect(filter.includes(disk), "\(disk)")
        }
        for other in ["sda1", "sdaa12", "vda2", "xvdb1", "nvme0n1p1", "mmcblk0p3", "nbd0p1", "loop7", "ram0", "zram1"] {
            #expect(!filter.includes(other), "\(other)")
        }
    }

    @Test("Disk throughput is sectors × 512 over the elapsed seconds, from real counters")
    func diskRatesReal() throws {
        let filter = DiskDeviceFilter(devices: [])
        let before = DiskStats.parse(try ProcFixture.bytes("real/diskstats.1"), filter: filter)
        let after = DiskStats.parse(try ProcFixture.bytes("real/diskstats.2"), filter: filter)
        let rates = DiskIORate.rates(from: before, to: after, elapsedSeconds: 1)
        // 192 sectors read, 131072 sectors written (the 64 MiB written with dd between the captures).
        #expect(rates == [DiskIORate(device: "vda", readBytesPerSecond: 98_304, writeBytesPerSecond: 67_108_864)])
        #expect(DiskIORate.rates(from: before, to: after, elapsedSeconds: 0).isEmpty)
    }

    @Test("A device whose counters went backwards is skipped for the interval")
    func diskRatesRegression() throws {
        let filter = DiskDeviceFilter(devices: [])
        let before = DiskStats.parse(try ProcFixture.bytes("edge/diskstats.1"), filter: filter)
        let after = DiskStats.parse(try ProcFixture.bytes("edge/diskstats.2"), filter: filter)
        let rates = DiskIORate.rates(from: before, to: after, elapsedSeconds: 2)
        #expect(rates.map(\.device) == ["sda", "mmcblk0", "xvda", "dm-0", "md0", "sr0"])
        #expect(rates[0] == DiskIORate(device: "sda", readBytesPerSecond: 524_288, writeBytesPerSecond: 1_048_576))
        #expect(rates.dropFirst().allSatisfy { $0.readBytesPerSecond == 0 && $0.writeBytesPerSecond == 0 })
    }

    @Test("Accept-queue depth sums rx_queue of IPv4 and IPv6 listeners on the same real port")
    func listenQueueReal() throws {
        var depths: [Int: UInt64] = [:]
        ListenQueueDepth.accumulate(try ProcFixture.bytes("real/net_tcp.1"), ports: [18443, 2024, 9], into: &depths)
        #expect(depths == [18443: 3, 2024: 0])
        ListenQueueDepth.accumulate(try ProcFixture.bytes("real/net_tcp6.1"), ports: [18443, 2024, 9], into: &depths)
        #expect(depths == [18443: 5, 2024: 0])
    }

    @Test("Only LISTEN sockets count; established ones and malformed lines are ignored")
    func listenQueueEdgeCases() throws {
        var depths: [Int: UInt64] = [:]
        let ports: Set<Int> = [8080, 8081, 8082, 8083, 22]
        ListenQueueDepth.accumulate(try ProcFixture.bytes("edge/net_tcp"), ports: ports, into: &depths)
        #expect(depths == [8080: 17, 8081: 0, 22: 3])
        ListenQueueDepth.accumulate(try ProcFixture.bytes("edge/net_tcp6"), ports: ports, into: &depths)
        #expect(depths == [8080: 21, 8081: 28, 8083: 2, 22: 3])
        #expect(ListenQueueDepth.parse("", ports: [8080]).isEmpty)
        #expect(
            ListenQueueDepth.parse(String(decoding: try ProcFixture.bytes("edge/net_tcp"), as: UTF8.self), ports: [])
                .isEmpty)
    }

    @Test("Disk space is computed like df: reserved blocks are neither used nor available")
    func filesystemUsage() {
        let stats = FilesystemStats(blocks: 1000, freeBlocks: 300, availableBlocks: 250, fragmentSize: 4096)
        #expect(stats.usedBytes == 700 * 4096)
        #expect(abs((stats.utilization ?? -1) - 700.0 / 950.0) < 1e-12)
        #expect(FilesystemStats(blocks: 0, freeBlocks: 0, availableBlocks: 0, fragmentSize: 4096).utilization == nil)
        #expect(FilesystemStats(blocks: 10, freeBlocks: 20, availableBlocks: 20, fragmentSize: 512).usedBytes == 0)
    }
}
