// The fuzz driver.
//
// Built by `make fuzz` with `-sanitize=fuzzer,address -DVIGIL_FUZZ` into `.build-fuzz`, it is a
// libFuzzer binary whose target comes from `VIGIL_FUZZ_TARGET`. In the normal build (no
// `VIGIL_FUZZ`) it replays files instead: `vigil-fuzz TARGET FILE...` runs each input once, which is
// how a crash input is reproduced without the sanitizer build.
import Foundation
import VigilFuzzTargets

#if VIGIL_FUZZ
    // The target is named by the environment, the arguments are libFuzzer's:
    // `VIGIL_FUZZ_TARGET=frame vigil-fuzz [libFuzzer flags and corpus directories]`.
    let selected: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["VIGIL_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            FileHandle.standardError.write(Data("VIGIL_FUZZ_TARGET must be one of \(names), not '\(name)'\n".utf8))
            exit(2)
        }
        return target
    }()

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
        selected.run(count == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: count)))
        return 0
    }

    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    // SwiftPM links an executable with `main` defined as `<product>_main`; with -parse-as-library and
    // no `@main`, this is that function, and it hands the process to libFuzzer.
    @_cdecl("vigil_fuzz_main")
    public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
        _ = selected
        var count = argc
        var arguments = argv
        return LLVMFuzzerRunDriver(&count, &arguments, fuzzOneInput)
    }
#else
    @main
    struct FuzzDriver {
        static func main() {
            let arguments = CommandLine.arguments
            guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
                let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
                FileHandle.standardError.write(Data("usage: vigil-fuzz \(names) FILE...\n".utf8))
                exit(2)
            }
            for path in arguments.dropFirst(2) {
                guard let data = FileManager.default.contents(atPath: path) else {
                    FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
                    exit(1)
                }
                target.run(Array(data))
                print("ran \(path)")
            }
        }
    }
#endif
