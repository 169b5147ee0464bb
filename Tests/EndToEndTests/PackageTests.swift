import Foundation
import Testing
import VigilTestSupport

/// What `make package` built (deploy/package.sh into .build-package/debs), read back with dpkg-deb the way a
/// host would install it: the metadata, the files and maintainer scripts, binaries that load only system
/// libraries (the Swift runtime linked in), each packaged binary run, the packaged example configurations
/// through check-config, and a C program built against libvigil-dev alone.
@Suite("Debian packages", .timeLimit(.minutes(3)))
struct PackageTests {
    static let directory = TestCertificates.root.appendingPathComponent(".build-package/debs").path
    static let packages = ["vigil-agent", "vigil-hub", "libvigil-dev"]

    /// The files each package must install (paths as dpkg-deb -c prints them, without "./").
    static let contents: [String: [String]] = [
        "vigil-agent": [
            "usr/bin/vigil-agent", "lib/systemd/system/vigil-agent.service", "etc/vigil/agent.yaml",
            "usr/share/doc/vigil-agent/README.md", "usr/share/doc/vigil-agent/copyright",
        ],
        "vigil-hub": [
            "usr/bin/vigil-hub", "usr/bin/vigilctl", "lib/systemd/system/vigil-hub.service", "etc/vigil/hub.yaml",
            "usr/share/doc/vigil-hub/README.md", "usr/share/doc/vigil-hub/copyright",
            "usr/share/doc/vigil-hub/examples/rules.yaml",
        ],
        "libvigil-dev": [
            "usr/include/vigil.h", "usr/lib/libvigil.a", "usr/lib/libvigil.so.0", "usr/lib/libvigil.so",
            "usr/lib/pkgconfig/vigil.pc", "usr/share/doc/libvigil-dev/copyright",
            "usr/share/doc/libvigil-dev/examples/example.c",
        ],
    ]

    /// The .deb of `package`, required to exist.
    static func deb(_ package: String) throws -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let name = try #require(
            names.first { $0.hasPrefix("\(package)_") && $0.hasSuffix(".deb") },
            "no \(package)_*.deb in \(directory): run make package")
        return "\(directory)/\(name)"
    }

    /// `package` unpacked (files and DEBIAN/) into a fresh directory; returns it.
    static func unpacked(_ package: String) throws -> String {
        let target = try makeTemporaryDirectory("deb-\(package)")
        let files = try runCommand(["dpkg-deb", "-x", try deb(package), target], mergingErrors: true)
        let control = try runCommand(["dpkg-deb", "-e", try deb(package), "\(target)/DEBIAN"], mergingErrors: true)
        guard files.status == 0, control.status == 0 else { throw TestFailure(files.text + control.text) }
        return target
    }

    static func field(_ name: String, of package: String) throws -> String {
        let result = try runCommand(["dpkg-deb", "-f", try deb(package), name], mergingErrors: true)
        guard result.status == 0 else { throw TestFailure(result.text) }
        return result.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("each package names itself, the built version, this architecture, a maintainer and a description")
    func metadata() throws {
        let version = try runCommand([DeploymentFilesTests.binary("vigil-agent"), "--version"])
        let architecture = try runCommand(["dpkg", "--print-architecture"])
        for package in Self.packages {
            #expect(try Self.field("Package", of: package) == package)
            #expect(try Self.field("Version", of: package) == version.text.trimmingCharacters(in: .newlines))
            #expect(
                try Self.field("Architecture", of: package)
                    == architecture.text.trimmingCharacters(in: .newlines))
            #expect(try Self.field("Maintainer", of: package).contains("@"))
            let description = try Self.field("Description", of: package)
            #expect(description.split(separator: "\n").count >= 3, "\(package): \(description)")
            #expect(Int(try Self.field("Installed-Size", of: package)) ?? 0 > 0)
            let depends = try Self.field("Depends", of: package)
            #expect(depends.contains("libc6"), "\(package): \(depends)")
            #expect(!depends.lowercased().contains("swift"), "\(package): \(depends)")
        }
    }

    @Test("each package holds its files, the units and example configurations as in deploy/, and conffiles")
    func contents() throws {
        for package in Self.packages {
            let listing = try runCommand(["dpkg-deb", "-c", try Self.deb(package)], mergingErrors: true)
            let paths = Set(
                listing.text.split(separator: "\n").compactMap { line -> String? in
                    // "-rwxr-xr-x root/root 84107000 2026-12-04 21:05 ./usr/bin/vigil-agent" (symlinks: "a -> b")
                    let words = line.split(separator: " ", omittingEmptySubsequences: true)
                    return words.count >= 6 ? String(words[5].dropFirst(2)) : nil
                })
            for path in Self.contents[package] ?? [] {
                #expect(paths.contains(path), "\(package) lacks \(path)")
            }
            #expect(!listing.text.contains("/home/") && !listing.text.contains(".build"), "\(listing.text)")
            #expect(listing.text.split(separator: "\n").allSatisfy { $0.contains(" root/root ") })
        }
        let root = TestCertificates.root.path
        for (package, unit, file) in [
            ("vigil-agent", "vigil-agent", "agent.yaml"), ("vigil-hub", "vigil-hub", "hub.yaml"),
        ] {
            let target = try Self.unpacked(package)
            let pairs = [
                ("\(target)/lib/systemd/system/\(unit).service", "\(root)/deploy/systemd/\(unit).service"),
                ("\(target)/etc/vigil/\(file)", "\(root)/deploy/\(file)"),
            ]
            for (packaged, source) in pairs {
                #expect(
                    FileManager.default.contentsEqual(atPath: packaged, andPath: source), "\(packaged) ≠ \(source)")
            }
            let conffiles = try String(contentsOfFile: "\(target)/DEBIAN/conffiles", encoding: .utf8)
            #expect(conffiles.split(separator: "\n") == ["/etc/vigil/\(file)"], "\(package): \(conffiles)")
            let postinst = try String(contentsOfFile: "\(target)/DEBIAN/postinst", encoding: .utf8)
            #expect(postinst.contains("groupadd --system vigil") && postinst.contains("useradd --system"))
            #expect(!postinst.contains("systemctl enable"), "the unit must wait for certificates and a configuration")
            for script in ["postinst", "prerm", "postrm"] {
                let syntax = try runCommand(["sh", "-n", "\(target)/DEBIAN/\(script)"], mergingErrors: true)
                #expect(syntax.status == 0, "\(package) \(script): \(syntax.text)")
            }
        }
    }

    @Test("every packaged binary loads only system libraries, each from a package its Depends names")
    func systemLibrariesOnly() throws {
        let systemPaths = ["/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/"]
        for (package, files) in [
            ("vigil-agent", ["usr/bin/vigil-agent"]), ("vigil-hub", ["usr/bin/vigil-hub", "usr/bin/vigilctl"]),
            ("libvigil-dev", ["usr/lib/libvigil.so.0"]),
        ] {
            let target = try Self.unpacked(package)
            let depends = Set(
                try Self.field("Depends", of: package).split(separator: ",").map {
                    String($0.split(separator: " ").first ?? "")
                })
            for file in files {
                let ldd = try runCommand(["ldd", "\(target)/\(file)"], mergingErrors: true)
                #expect(ldd.status == 0, "\(file): \(ldd.text)")
                for line in ldd.text.split(separator: "\n") {
                    #expect(!line.contains("not found"), "\(file): \(line)")
                    for name in ["libswift", "libFoundation", "libdispatch", "libBlocksRuntime", "lib_Foundation"] {
                        #expect(!line.contains(name), "\(file) loads the Swift runtime: \(line)")
                    }
                    guard let arrow = line.range(of: "=> ") else { continue }
                    let path = line[arrow.upperBound...].split(separator: " ").first.map(String.init) ?? ""
                    #expect(systemPaths.contains { path.hasPrefix($0) }, "\(file): \(line)")
                }
                // What the file loads directly comes from a package that Depends lists.
                let headers = try runCommand(["objdump", "-p", "\(target)/\(file)"])
                let needed = headers.text.split(separator: "\n").filter { $0.contains("NEEDED") }.compactMap {
                    $0.split(separator: " ").last.map(String.init)
                }
                #expect(!needed.isEmpty)
                for library in needed {
                    let path = try #require(Self.resolved(library, in: ldd.text), "\(file): \(library) in \(ldd.text)")
                    let name = try Self.owner(of: path)
                    #expect(depends.contains(name), "\(package): \(library) is from \(name), not in \(depends)")
                }
            }
        }
    }

    /// Where ldd's `output` says `library` was loaded from: "name => /path (…)" or, for the dynamic loader,
    /// "/lib64/name (…)".
    static func resolved(_ library: String, in output: String) -> String? {
        for line in output.split(separator: "\n") {
            let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
            if words.count >= 3, words[0] == library, words[1] == "=>" { return words[2] }
            if let first = words.first, first.hasSuffix("/\(library)") { return first }
        }
        return nil
    }

    /// The Debian package that owns `path`, asked as given and with symlinks resolved (with merged /usr, dpkg
    /// knows a library under one of /lib and /usr/lib only).
    static func owner(of path: String) throws -> String {
        let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        for candidate in [path, real, "/usr" + path, "/usr" + real] {
            let result = try runCommand(["dpkg", "-S", candidate], mergingErrors: true)
            if result.status == 0, let name = result.text.split(separator: ":").first { return String(name) }
        }
        throw TestFailure("no Debian package owns \(path)")
    }

    @Test("the packaged binaries run: --help, --version, and check-config on the packaged example files")
    func packagedBinariesRun() throws {
        let agent = try Self.unpacked("vigil-agent")
        let hub = try Self.unpacked("vigil-hub")
        let version = try Self.field("Version", of: "vigil-agent")
        for binary in ["\(agent)/usr/bin/vigil-agent", "\(hub)/usr/bin/vigil-hub", "\(hub)/usr/bin/vigilctl"] {
            let help = try runCommand([binary, "--help"], mergingErrors: true)
            #expect(help.status == 0 && help.text.contains("USAGE:"), "\(binary): \(help.text)")
        }
        for binary in ["\(agent)/usr/bin/vigil-agent", "\(hub)/usr/bin/vigil-hub"] {
            let printed = try runCommand([binary, "--version"], mergingErrors: true)
            #expect(printed.text.trimmingCharacters(in: .newlines) == version, "\(binary): \(printed.text)")
        }
        for (binary, file) in [
            ("\(agent)/usr/bin/vigil-agent", "\(agent)/etc/vigil/agent.yaml"),
            ("\(hub)/usr/bin/vigil-hub", "\(hub)/etc/vigil/hub.yaml"),
        ] {
            let name = URL(fileURLWithPath: file).lastPathComponent
            let example = try DeploymentFilesTests.exampleWithFiles(name, from: file)
            let checked = try runCommand([binary, "check-config", example], mergingErrors: true)
            #expect(checked.status == 0, "\(binary) check-config \(name): \(checked.text)")
            #expect(checked.text.contains("tls.ca:"), "\(checked.text)")
        }
    }

    @Test("libvigil-dev alone builds the example program with pkg-config, against the shared and the static library")
    func developmentPackageBuilds() throws {
        let dev = try Self.unpacked("libvigil-dev")
        let pc = try String(contentsOfFile: "\(dev)/usr/lib/pkgconfig/vigil.pc", encoding: .utf8)
        #expect(pc.contains("prefix=/usr\n"), "\(pc)")
        var environment = ProcessInfo.processInfo.environment
        environment["PKG_CONFIG_PATH"] = "\(dev)/usr/lib/pkgconfig"
        environment["PKG_CONFIG_SYSROOT_DIR"] = dev
        func words(_ arguments: [String]) throws -> [String] {
            let flags = try runCommand(
                ["pkg-config"] + arguments + ["vigil"], environment: environment, mergingErrors: true)
            guard flags.status == 0 else { throw TestFailure("pkg-config \(arguments): \(flags.text)") }
            return flags.text.split(whereSeparator: \.isWhitespace).map(String.init)
        }
        let source = "\(dev)/usr/share/doc/libvigil-dev/examples/example.c"
        // Shared: -lvigil finds usr/lib/libvigil.so, and the program loads libvigil.so.0 from the package.
        let shared = "\(dev)/example-shared"
        let built = try runCommand(
            ["cc", "-o", shared, source] + (try words(["--cflags", "--libs"])), mergingErrors: true)
        #expect(built.status == 0, "\(built.text)")
        environment["LD_LIBRARY_PATH"] = "\(dev)/usr/lib"
        let loads = try runCommand(["ldd", shared], environment: environment, mergingErrors: true)
        #expect(loads.text.contains("libvigil.so.0 => \(dev)/usr/lib/libvigil.so.0"), "\(loads.text)")
        // Static: libvigil.a with what --static adds for it (protobuf-c, pthread); nothing of libvigil at run time.
        let statically = "\(dev)/example-static"
        let others = try words(["--static", "--libs"]).filter { $0 != "-lvigil" }
        let linked = try runCommand(
            ["cc", "-o", statically, source] + (try words(["--cflags"])) + ["\(dev)/usr/lib/libvigil.a"] + others,
            mergingErrors: true)
        #expect(linked.status == 0, "\(linked.text)")
        let staticLoads = try runCommand(["ldd", statically], mergingErrors: true)
        #expect(staticLoads.status == 0 && !staticLoads.text.contains("libvigil"), "\(staticLoads.text)")
    }
}
