import VigilConfiguration
import VigilProtocol
import Yams

extension AgentConfiguration: LoadableConfiguration {
    /// See ``LoadableConfiguration``: the file's text parsed, `overrides` applied, validated.
    public static func loadDocument(
        yaml: String, source: String, overrides: [ConfigurationOverride]
    )
        throws(ConfigurationError) -> (configuration: AgentConfiguration, fileKeys: Set<String>)
    {
        try ConfigurationOverride.load(yaml: yaml, source: source, overrides: overrides) {
            (root: Node?) throws(ConfigurationError) -> AgentConfiguration in
            guard let root else {
                throw .missingKey(
                    "agent_id", source: source, hint: "the file is empty; agent_id, endpoints and tls are required")
            }
            return try AgentConfiguration(from: ConfigurationNode(node: root, path: "", source: source))
        }
    }

    init(from root: ConfigurationNode) throws(ConfigurationError) {
        guard case .mapping = root.node else {
            throw ConfigurationError(
                code: .invalidValue,
                source: root.source,
                keyPath: "",
                value: root.rendered,
                detail:
                    "expected a mapping of keys such as agent_id, endpoints and tls at the top level, got \(root.rendered)",
                line: root.line
            )
        }
        let map = try root.mapping(allowedKeys: Self.topLevelKeys)

        var problems = ConfigurationProblems()
        var agentID = ""
        problems.check { () throws(ConfigurationError) in
            let idNode = try map.required(
                "agent_id", hint: "this agent's name as in its certificate, e.g. agent_id: web-01")
            agentID = try idNode.value(
                expected: "1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit",
                { ConfigurationValue.isValidAgentID($0) ? $0 : nil }
            )
        }
        var endpoints: [Endpoint] = []
        problems.check { () throws(ConfigurationError) in
            let endpointsNode = try map.required(
                "endpoints", hint: "the hubs to ship to, e.g. endpoints: [\"hub.internal:7443\"]")
            endpoints = try endpointsNode.uniqueList(expected: "a list of host:port") {
                node throws(ConfigurationError) in try node.address(ports: 1...65535, example: "hub.internal:7443")
            }
            guard !endpoints.isEmpty else {
                throw endpointsNode.invalid(expected: "at least one host:port")
            }
        }
        var tls = TLSFiles(ca: "", cert: "", key: "")
        problems.check { () throws(ConfigurationError) in
            tls = try TLSFiles(from: map.required("tls", hint: "tls: { ca: ..., cert: ..., key: ... }"), own: "agent")
        }
        var labels: [String: String] = [:]
        var ingest = Ingest()
        var buffer = Buffer()
        var sampling = Sampling()
        var shipping = Shipping()
        var shutdown = Shutdown()
        map.read("labels", into: &problems) { node throws(ConfigurationError) in labels = try Self.labels(node) }
        problems.check { () throws(ConfigurationError) in ingest = try Ingest(from: map["ingest"]) }
        problems.check { () throws(ConfigurationError) in buffer = try Buffer(from: map["buffer"]) }
        problems.check { () throws(ConfigurationError) in sampling = try Sampling(from: map["sampling"]) }
        problems.check { () throws(ConfigurationError) in shipping = try Shipping(from: map["shipping"]) }
        problems.check { () throws(ConfigurationError) in shutdown = try Shutdown(from: map["shutdown"]) }
        try problems.throwIfAny()

        self.init(
            agentID: agentID, endpoints: endpoints, tls: tls, labels: labels, ingest: ingest, buffer: buffer,
            sampling: sampling, shipping: shipping, shutdown: shutdown)
    }

    private static func labels(_ node: ConfigurationNode) throws(ConfigurationError) -> [String: String] {
        guard case .mapping(let mapping) = node.node else {
            throw node.invalid(expected: "a mapping of label names to values")
        }
        guard mapping.count <= maxLabels else {
            throw node.invalid(reason: "at most \(maxLabels) labels are allowed, got \(mapping.count)")
        }
        var labels: [String: String] = [:]
        for (keyNode, valueNode) in mapping {
            let keyAt = ConfigurationNode(node: keyNode, path: node.path, source: node.source)
            let key = try keyAt.string(expected: "a label name")
            guard !key.isEmpty, key.utf8.count <= maxLabelKeyBytes else {
                throw keyAt.invalid(expected: "a label name of 1 to \(maxLabelKeyBytes) bytes")
            }
            let valueAt = ConfigurationNode(node: valueNode, path: node.childPath(key), source: node.source)
            let value = try valueAt.string(expected: "a text value")
            guard value.utf8.count <= maxLabelValueBytes else {
                throw valueAt.invalid(
                    reason:
                        "a label value must be at most \(maxLabelValueBytes) bytes, this one has \(value.utf8.count)")
            }
            labels[key] = value
        }
        return labels
    }
}
