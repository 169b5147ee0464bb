// The fuzz driver: `vigil-fuzz TARGET [libFuzzer flags and corpus directories]`.
//
// Built by `make fuzz` with `-sanitize=fuzzer,address -DVIGIL_FUZZ` into `.build-fuzz`, it hands the
// chosen target to libFuzzer's `LLVMFuzzerRunDriver`. In the normal build (no `VIGIL_FUZZ`) it
// replays files instead: `vigil-fuzz TARGET FILE...` runs each input once, which is how a crash input
// is reproduced without the sanitizer build.
import Foundation
import VigilFuzzTargets

#if VIGIL_FUZZ
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    nonisolated(unsafe) var selected = FuzzTarget.frame

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
        selected.run(count == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: count)))
        return 0
    }
#endif

@main
struct FuzzDriver {
    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            FileHandle.standardError.write(Data("usage: vigil-fuzz \(names) [inputs or libFuzzer flags]\n".utf8))
            exit(2)
        }
        #if VIGIL_FUZZ
            selected = target
            // libFuzzer sees the program name followed by everything after the target name.
            var argv = [strdup(arguments[0])] + arguments.dropFirst(2).map { strdup($0) }
            var argc = Int32(argv.count)
            argv.append(nil)
            let status = argv.withUnsafeMutableBufferPointer { pointer in
                var base = pointer.baseAddress!
                return LLVMFuzzerRunDriver(&argc, &base, fuzzOneInput)
            }
            exit(status)
        #else
            for path in arguments.dropFirst(2) {
                guard let data = FileManager.default.contents(atPath: path) else {
                    FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
                    exit(1)
                }
                target.run(Array(data))
                print("ran \(path)")
            }
        #endif
    }
}
