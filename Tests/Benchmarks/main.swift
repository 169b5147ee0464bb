import Foundation

// `make bench`: programs that print figures. Nothing here asserts a time.
let arguments = CommandLine.arguments
let binDirectory = URL(fileURLWithPath: arguments[0]).deletingLastPathComponent()
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

func value(_ flag: String) -> String? {
    arguments.firstIndex(of: flag).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
}

do {
    if arguments.count > 1, arguments[1] == "ingest-client" {
        try await IngestClientMode.run(socket: value("--socket") ?? "", count: Int(value("--count") ?? "") ?? 0)
        exit(0)
    }
    if arguments.count > 1, arguments[1] == "swift-client" {
        try await SwiftClientMode.run(socket: value("--socket") ?? "", count: Int(value("--count") ?? "") ?? 0)
        exit(0)
    }
    if arguments.count > 1, arguments[1] == "stream-client" {
        try await StreamClientMode.run(
            socket: value("--socket") ?? "", seconds: Double(value("--seconds") ?? "") ?? 60,
            agent: Int(value("--agent") ?? "") ?? 1, rate: value("--rate").flatMap { Int($0) })
        exit(0)
    }
    let only = value("--only")
    #if DEBUG
        let build = "DEBUG build: these figures are not the project's"
    #else
        let build = "release build"
    #endif
    print("Vigil benchmarks — \(ProcessInfo.processInfo.activeProcessorCount) cores, \(build)")
    if only == nil || only == "codec" {
        try CodecBenchmark.run()
        try AuthorizationBenchmark.run()
    }
    if only == nil || only == "store" {
        try await StoreBenchmark.run(events: Int(value("--events") ?? "") ?? 600_000)
    }
    if only == nil || only == "agent" {
        try await AgentBenchmark.run(binDirectory: binDirectory, packageRoot: packageRoot)
    }
    if only == nil || only == "clients" {
        try await ClientBenchmark.run(
            binDirectory: binDirectory, packageRoot: packageRoot, events: Int(value("--events") ?? "") ?? 200_000)
    }
    if only == nil || only == "pipeline" {
        // Without --rate: with the applications paced at the 100,000 events/s goal (does the hub keep up, with
        // a flat backlog?) at the hub's default store.durability full and, as the reference beside it, at
        // normal (what the fsync per commit costs); then unpaced (what happens when applications outrun the
        // pipeline). --hub-durability picks one.
        let runs: [(Int?, String)] =
            value("--rate").map { rate in [(Int(rate), value("--hub-durability") ?? "full")] }
            ?? (value("--hub-durability").map { [(100_000, $0), (nil, $0)] }
                ?? [(100_000, "full"), (100_000, "normal"), (nil, "full")])
        for (rate, durability) in runs {
            try await PipelineBenchmark.run(
                binDirectory: binDirectory, packageRoot: packageRoot, seconds: Double(value("--seconds") ?? "") ?? 60,
                rate: rate, batchRecords: value("--batch-records").flatMap { Int($0) } ?? 4000,
                inFlight: value("--in-flight").flatMap { Int($0) } ?? 16, hubDurability: durability)
        }
    }
    if only == nil || only == "status" {
        try await PipelineBenchmark.statusLatency(
            binDirectory: binDirectory, packageRoot: packageRoot, events: 10_000_000)
    }
    // Starts its own PostgreSQL; the 10 M-event load takes minutes. Parts: --pg-part store,pipeline,…
    if only == nil || only == "postgres" {
        var settings = PostgresBenchmark.Settings()
        if let seconds = value("--seconds").flatMap(Double.init) { settings.seconds = seconds }
        if let rate = value("--pg-rate").flatMap({ Int($0) }) { settings.rate = rate }
        if let events = value("--pg-events").flatMap({ Int($0) }) { settings.versionEvents = events }
        if let parts = value("--pg-part") { settings.parts = Set(parts.split(separator: ",").map(String.init)) }
        try await PostgresBenchmark.run(binDirectory: binDirectory, packageRoot: packageRoot, settings: settings)
    }
    // Seeds 10 M events and takes minutes; alone: `vigil-bench --only decisions [--events N]`.
    if only == nil || only == "decisions" {
        try await DecisionBenchmark.run(
            binDirectory: binDirectory, packageRoot: packageRoot, events: Int(value("--events") ?? "") ?? 10_000_000)
    }
} catch {
    FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
    exit(1)
}
