import Foundation
import Testing
import VigilTestSupport
import Yams

/// deploy/kubernetes, checked without a cluster: what an API server would refuse (kinds, names, images,
/// ports, mounts of volumes that do not exist, selectors that miss their pods), and every Vigil
/// configuration in a ConfigMap run through the built binary's `check-config` with the flags its
/// container passes, the pod's fields filled in, and files where the pod would mount them.
@Suite("Kubernetes manifests", .timeLimit(.minutes(3)))
struct KubernetesManifestTests {
    static let directory = TestCertificates.root.appendingPathComponent("deploy/kubernetes")
    /// What the downward API and the Secrets would give the containers' variables.
    static let podName = "checkout-7d9f8c6b5-x2x7q"
    static let environment = [
        "POD_NAME": podName, "APP_SERVICE": "checkout", "APP_VERSION": "1.4.0", "NODE_NAME": "node-1",
        "PG_URL": "postgres://vigil@db.example:5432/vigil?sslmode=verify-full",
    ]

    /// Every document of every resource the kustomization lists.
    static func documents() throws -> [(file: String, document: [String: Any])] {
        let kustomization = try #require(
            try Yams.load(
                yaml: String(contentsOf: directory.appendingPathComponent("kustomization.yaml"), encoding: .utf8))
                as? [String: Any])
        let resources = try #require(kustomization["resources"] as? [String])
        var all: [(String, [String: Any])] = []
        for resource in resources {
            let text = try String(contentsOf: directory.appendingPathComponent(resource), encoding: .utf8)
            for case let document as [String: Any] in try Yams.load_all(yaml: text) { all.append((resource, document)) }
        }
        return all
    }

    /// The pod template of a workload, or nil.
    static func podSpec(_ document: [String: Any]) -> [String: Any]? {
        ((document["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any]
    }

    static func containers(_ pod: [String: Any]) -> [[String: Any]] {
        (pod["initContainers"] as? [[String: Any]] ?? []) + (pod["containers"] as? [[String: Any]] ?? [])
    }

    @Test("every resource has kind, apiVersion and a name; workloads' images, ports, mounts and selectors hold")
    func structure() throws {
        let documents = try Self.documents()
        #expect(documents.count >= 10, "\(documents.count) documents")
        var kinds: [String] = []
        for (file, document) in documents {
            let kind = document["kind"] as? String ?? ""
            kinds.append(kind)
            #expect(!kind.isEmpty && !(document["apiVersion"] as? String ?? "").isEmpty, "\(file): kind/apiVersion")
            let name = (document["metadata"] as? [String: Any])?["name"] as? String ?? ""
            #expect(!name.isEmpty, "\(file): a \(kind) without metadata.name")
            guard let pod = Self.podSpec(document) else { continue }
            let spec = document["spec"] as? [String: Any] ?? [:]
            let selector = (spec["selector"] as? [String: Any])?["matchLabels"] as? [String: Any] ?? [:]
            let labels =
                ((spec["template"] as? [String: Any])?["metadata"] as? [String: Any])?["labels"] as? [String: Any]
                ?? [:]
            #expect(!selector.isEmpty, "\(file): \(name) has no selector")
            for (key, value) in selector {
                #expect("\(labels[key] ?? "")" == "\(value)", "\(file): \(name)'s selector \(key) misses its pods")
            }
            let volumes = Set((pod["volumes"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
            for container in Self.containers(pod) {
                let cname = container["name"] as? String ?? ""
                #expect(!cname.isEmpty, "\(file): \(name): a container without a name")
                #expect(!(container["image"] as? String ?? "").isEmpty, "\(file): \(name)/\(cname) has no image")
                var portNames: Set<String> = []
                for port in container["ports"] as? [[String: Any]] ?? [] {
                    let number = port["containerPort"] as? Int ?? 0
                    #expect((1...65535).contains(number), "\(file): \(name)/\(cname): containerPort \(number)")
                    if let portName = port["name"] as? String { portNames.insert(portName) }
                }
                for mount in container["volumeMounts"] as? [[String: Any]] ?? [] {
                    let volume = mount["name"] as? String ?? ""
                    #expect(volumes.contains(volume), "\(file): \(name)/\(cname) mounts \(volume), which is no volume")
                    #expect((mount["mountPath"] as? String ?? "").hasPrefix("/"), "\(file): \(name)/\(cname)")
                }
                for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
                    guard let http = (container[probe] as? [String: Any])?["httpGet"] as? [String: Any] else {
                        continue
                    }
                    let port = http["port"]
                    #expect(
                        (port as? Int).map { (1...65535).contains($0) } ?? portNames.contains(port as? String ?? ""),
                        "\(file): \(name)/\(cname): \(probe) port \(String(describing: port)) is not a container port")
                }
            }
        }
        for kind in ["Deployment", "DaemonSet", "Service", "NetworkPolicy", "ConfigMap", "Certificate", "Namespace"] {
            #expect(kinds.contains(kind), "no \(kind)")
        }
    }

    /// A directory laid out as the pods mount `/etc/vigil/`: TLS files for the pod name (agents) or the hub,
    /// the admin tokens, the PostgreSQL password and CA.
    static func mountedFiles(hub: Bool) throws -> String {
        let root = try makeTemporaryDirectory("k8s-etc-vigil")
        try TestCertificates.make(into: "\(root)/made", arguments: ["--agent", podName])
        let manager = FileManager.default
        for sub in ["tls", "admin", "pg"] {
            try manager.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true)
        }
        try manager.copyItem(atPath: "\(root)/made/ca.pem", toPath: "\(root)/tls/ca.crt")
        let leaf = hub ? "hub" : "agent-\(podName)"
        try manager.copyItem(atPath: "\(root)/made/\(leaf).pem", toPath: "\(root)/tls/tls.crt")
        try manager.copyItem(atPath: "\(root)/made/\(leaf).key", toPath: "\(root)/tls/tls.key")
        try manager.copyItem(atPath: "\(root)/made/ca.pem", toPath: "\(root)/pg/ca.crt")
        try "ops admin k8s-admin-token-0123456789abcdef\n".write(
            toFile: "\(root)/admin/tokens", atomically: true, encoding: .utf8)
        try "s3cret\n".write(toFile: "\(root)/pg/password", atomically: true, encoding: .utf8)
        return root
    }

    @Test("each embedded configuration passes check-config with its container's --set flags and mounted files")
    func embeddedConfigurations() throws {
        let documents = try Self.documents()
        let maps = documents.filter { $0.document["kind"] as? String == "ConfigMap" }
        var checked = 0
        for (file, document) in documents {
            guard let pod = Self.podSpec(document) else { continue }
            let volumes = pod["volumes"] as? [[String: Any]] ?? []
            for container in Self.containers(pod) {
                let args = container["args"] as? [String] ?? []
                guard let command = args.first, command == "run" || command == "serve" else { continue }
                let binary = command == "run" ? "vigil-agent" : "vigil-hub"
                // The ConfigMap mounted at the --config path.
                let configPath = args.firstIndex(of: "--config").map { args[$0 + 1] } ?? ""
                let mount = try #require(
                    (container["volumeMounts"] as? [[String: Any]])?.first { $0["mountPath"] as? String == configPath },
                    "\(file): nothing mounted at \(configPath)")
                let volume = volumes.first { $0["name"] as? String == mount["name"] as? String }
                let mapName = (volume?["configMap"] as? [String: Any])?["name"] as? String
                let map = try #require(
                    maps.first { ($0.document["metadata"] as? [String: Any])?["name"] as? String == mapName },
                    "\(file): no ConfigMap \(String(describing: mapName))")
                let key = mount["subPath"] as? String ?? ""
                let text = try #require((map.document["data"] as? [String: Any])?[key] as? String)
                let files = try Self.mountedFiles(hub: binary == "vigil-hub")
                let config = "\(files)/\(key)"
                // State too, so the probes below read this test's (absent) agent database, not a host's.
                try text.replacingOccurrences(of: "/etc/vigil/", with: files + "/")
                    .replacingOccurrences(of: "/var/lib/vigil/", with: files + "/state-")
                    .write(toFile: config, atomically: true, encoding: .utf8)
                // The container's flags with $(VAR) as Kubernetes expands them.
                var flags: [String] = []
                for (index, arg) in args.enumerated() where arg == "--set" {
                    var value = args[index + 1]
                    for (name, sample) in Self.environment {
                        value = value.replacingOccurrences(of: "$(\(name))", with: sample)
                    }
                    #expect(!value.contains("$("), "\(file): \(value) uses a variable the test does not know")
                    flags += ["--set", value]
                }
                let result = try runCommand(
                    [Daemon.binaryDirectory.appendingPathComponent(binary).path, "check-config", config] + flags,
                    mergingErrors: true)
                #expect(result.status == 0, "\(file): \(binary) check-config \(key) \(flags): \(result.text)")
                checked += 1
                // Exec probes: the flags must parse (exit 1 "no status yet" here, not a usage error).
                for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
                    guard
                        var words = ((container[probe] as? [String: Any])?["exec"] as? [String: Any])?["command"]
                            as? [String]
                    else {
                        continue
                    }
                    words = words.map { $0 == configPath ? config : $0 }
                    words[0] = Daemon.binaryDirectory.appendingPathComponent(words[0]).path
                    let ran = try runCommand(words, mergingErrors: true)
                    #expect(
                        ran.status == 1 && ran.text.contains("no agent database"),
                        "\(file): \(probe): \(ran.status) \(ran.text)")
                }
            }
        }
        #expect(checked == 3, "the hub, the sidecar and the node agent: \(checked) checked")
    }
}
