import Foundation

// `make bench`: programs that print figures. Nothing here asserts a time.
print("Vigil benchmarks — \(ProcessInfo.processInfo.activeProcessorCount) cores, release build")
do {
    try CodecBenchmark.run()
} catch {
    FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
    exit(1)
}
