import Foundation
import Testing
import VigilAgent
import VigilProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// A ``ProcSource`` serving fixture bytes, swapped between samples by the test.
final class FixtureProcSource: ProcSource {
    var files: [ProcFile: ArraySlice<UInt8>] = [:]
    var filesystems: [String: FilesystemStats] = [:]

    func load(snapshot: Int) throws {
        files[.stat] = try ProcFixture.bytes("real/stat.\(snapshot)")
        files[.meminfo] = try ProcFixture.bytes("real/meminfo.\(snapshot)")
        files[.diskstats] = try ProcFixture.bytes("real/diskstats.\(snapshot)")
        files[.netTCP] = try ProcFixture.bytes("real/net_tcp.\(snapshot)")
        files[.netTCP6] = try ProcFixture.bytes("real/net_tcp6.\(snapshot)")
    }

    func withContents<Result>(of file: ProcFile, _ body: (ArraySlice<UInt8>) -> Result) -> Result? {
        files[file].map(body)
    }

    func filesystemStats(at mountPoint: String) -> FilesystemStats? {
        filesystems[mountPoint]
    }
}

extension [Vigil_V1_Sample] {
    func value(_ metric: String, _ label: String? = nil, _ labelValue: String? = nil) -> Double? {
        first { $0.metric == metric && (label == nil || $0.labels[label!] == labelValue) }?.value
    }
}

@Suite("Host sampler")
struct SamplingHostSamplerTests {
    static let labels = ["service": "checkout", "version": "1.4.0", "env": "prod"]

    @Test("Two samples over real fixtures give every metric with the agent's labels")
    func fixtureSamples() throws {
        let source = FixtureProcSource()
        source.filesystems["/"] = FilesystemStats(
            blocks: 1000, freeBlocks: 300, availableBlocks: 250, fragmentSize: 4096)
        var sampling = AgentConfiguration.Sampling()
        sampling.mounts = ["/", "/missing"]
        sampling.listenPorts = [18443, 2024, 9999]
        let selfMetrics = AgentSelfMetricsClosure {
            AgentSelfMetricValues(bufferedRecords: 10, bufferedBytes: 2048, droppedRecords: 3)
        }
        let sampler = HostSampler(
            configuration: sampling, labels: Self.labels, source: source, selfMetrics: selfMetrics)

        try source.load(snapshot: 1)
        let first = sampler.sample(at: 1_000_000_000)
        #expect(
            first.map(\.metric) == [
                "memory.used_bytes", "memory.utilization", "disk.used_bytes", "disk.utilization", "queue.depth",
                "queue.depth", "agent.buffer.records", "agent.buffer.bytes", "agent.dropped",
            ]
        )
        #expect(first.value("memory.used_bytes") == 755_027_968)
        #expect(first.value("disk.used_bytes", "mount", "/") == 2_867_200)
        #expect(first.value("queue.depth", "port", "2024") == 0)
        #expect(first.value("queue.depth", "port", "18443") == 5)
        #expect(first.value("agent.buffer.bytes") == 2048)
        #expect(first.value("agent.dropped") == 3)
        #expect(sampler.skippedReadings == 1)  // the /missing mount

        try source.load(snapshot: 2)
        let second = sampler.sample(at: 2_000_000_000)
        #expect(second.value("cpu.utilization") == 1.0)
        #expect(second.value("memory.used_bytes") == 869_253_120)
        #expect(second.value("disk.read_bytes", "device", "vda") == 98_304)
        #expect(second.value("disk.write_bytes", "device", "vda") == 67_108_864)
        #expect(second.value("queue.depth", "port", "18443") == 5)

        for sample in first + second {
            #expect(sample.labels["service"] == "checkout")
            #expect(sample.labels["version"] == "1.4.0")
            #expect(sample.labels["env"] == nil)
        }
        #expect(first.allSatisfy { $0.timeUnixNano == 1_000_000_000 })
        #expect(second.allSatisfy { $0.timeUnixNano == 2_000_000_000 })
    }

    @Test("Unreadable files are skipped and counted, never a crash")
    func unreadableFiles() throws {
        let source = FixtureProcSource()
        var sampling = AgentConfiguration.Sampling()
        sampling.listenPorts = [80]
        let sampler = HostSampler(configuration: sampling, labels: [:], source: source)
        #expect(sampler.sample(at: 1).isEmpty)
        #expect(sampler.sample(at: 2).isEmpty)
        // stat, meminfo, "/", diskstats, net/tcp, net/tcp6 on each of the two calls.
        #expect(sampler.skippedReadings == 12)

        source.files[.stat] = ArraySlice("cpu 1 2 3\nnonsense\n".utf8)
        source.files[.meminfo] = ArraySlice("MemTotal: x kB\n".utf8)
        #expect(sampler.sample(at: 3).isEmpty)
    }

    @Test("A clock that does not advance gives no disk rates for that interval")
    func clockStandsStill() throws {
        let source = FixtureProcSource()
        let sampler = HostSampler(configuration: .init(), labels: [:], source: source)
        try source.load(snapshot: 1)
        _ = sampler.sample(at: 5_000_000_000)
        try source.load(snapshot: 2)
        let samples = sampler.sample(at: 5_000_000_000)
        #expect(samples.value("disk.read_bytes") == nil)
        #expect(samples.value("cpu.utilization") == 1.0)
    }

    #if canImport(Glibc)
        @Test(
            "Sampling this machine's real /proc gives plausible values",
            .enabled(if: FileManager.default.fileExists(atPath: "/proc/stat"))
        )
        func realProc() async throws {
            let listener = try LoopbackListener(backlog: 8)
            defer { listener.close() }
            let clients = try (0..<2).map { _ in try listener.connectClient() }
            defer { clients.forEach { _ = Glibc.close($0) } }

            var sampling = AgentConfiguration.Sampling()
            sampling.mounts = ["/"]
            sampling.listenPorts = [listener.port]
            let sampler = HostSampler(configuration: sampling, labels: Self.labels)
            func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1e9) }

            _ = sampler.sample(at: now())
            try await Task.sleep(for: .milliseconds(300))
            var samples = sampler.sample(at: now())
            // On a loaded machine the kernel may finish the handshakes a moment after connect() returns.
            let portLabel = String(listener.port)
            for _ in 0..<20 where samples.value("queue.depth", "port", portLabel) != 2 {
                try await Task.sleep(for: .milliseconds(100))
                samples = sampler.sample(at: now())
            }

            let cpu = try #require(samples.value("cpu.utilization"))
            #expect((0...1).contains(cpu))
            #expect(try #require(samples.value("memory.used_bytes")) > 0)
            #expect((0...1).contains(try #require(samples.value("memory.utilization"))))
            #expect(try #require(samples.value("disk.used_bytes", "mount", "/")) > 0)
            #expect((0...1).contains(try #require(samples.value("disk.utilization", "mount", "/"))))
            for sample in samples where sample.metric.hasPrefix("disk.") && sample.metric.hasSuffix("_bytes") {
                #expect(sample.value >= 0 && sample.value.isFinite)
            }
            // Two connections completed by the kernel and not yet accepted.
            #expect(samples.value("queue.depth", "port", portLabel) == 2)
        }
    #endif
}

#if canImport(Glibc)
    /// A TCP listener on 127.0.0.1 that never accepts, so connections pile up in its accept queue.
    struct LoopbackListener {
        let fd: Int32
        let port: Int

        struct SocketError: Error {
            let call: String
            let code: Int32
        }

        init(backlog: Int32) throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw SocketError(call: "socket", code: errno) }
            var address = Self.loopback(port: 0)
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
            }
            guard bound == 0, listen(fd, backlog) == 0 else {
                _ = Glibc.close(fd)
                throw SocketError(call: "bind/listen", code: errno)
            }
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard named == 0 else {
                _ = Glibc.close(fd)
                throw SocketError(call: "getsockname", code: errno)
            }
            self.fd = fd
            self.port = Int(UInt16(bigEndian: address.sin_port))
        }

        func connectClient() throws -> Int32 {
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard client >= 0 else { throw SocketError(call: "socket", code: errno) }
            var address = Self.loopback(port: UInt16(port))
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else { throw SocketError(call: "connect", code: errno) }
            return client
        }

        func close() {
            _ = Glibc.close(fd)
        }

        private static func loopback(port: UInt16) -> sockaddr_in {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            return address
        }
    }
#endif
