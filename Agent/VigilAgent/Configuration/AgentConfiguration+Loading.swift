import VigilConfiguration
import VigilProtocol
import Yams

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension AgentConfiguration {
    /// The largest configuration file read; anything longer is refused before it is allocated.
    public static let maxFileBytes = 1 << 20

    /// Reads and validates the configuration file at `path` with `overrides` (`--set`) applied; errors are
    /// prefixed with `path`, or with the flag when they are about a key it set.
    public static func load(
        path: String, overrides: [ConfigurationOverride] = []
    ) throws(ConfigurationError)
        -> AgentConfiguration
    {
        try loadDocument(path: path, overrides: overrides).configuration
    }

    /// The configuration and the key paths the file itself wrote (for `check-config --effective`).
    public static func loadDocument(
        path: String, overrides: [ConfigurationOverride] = []
    ) throws(ConfigurationError)
        -> (configuration: AgentConfiguration, fileKeys: Set<String>)
    {
        let bytes = try readFile(path)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigurationError(code: .syntax, source: path, keyPath: "", detail: "the file is not valid UTF-8")
        }
        return try loadDocument(yaml: text, source: path, overrides: overrides)
    }

    /// Parses and validates configuration text. `source` names it in errors (usually the file name).
    public static func load(
        yaml: String, source: String, overrides: [ConfigurationOverride] = []
    )
        throws(ConfigurationError) -> AgentConfiguration
    {
        try loadDocument(yaml: yaml, source: source, overrides: overrides).configuration
    }

    static func loadDocument(
        yaml: String, source: String, overrides: [ConfigurationOverride]
    )
        throws(ConfigurationError) -> (configuration: AgentConfiguration, fileKeys: Set<String>)
    {
        try ConfigurationOverride.load(yaml: yaml, source: source, overrides: overrides, as: ConfigurationError.self) {
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

        let idNode = try map.required(
            "agent_id", hint: "this agent's name as in its certificate, e.g. agent_id: web-01")
        let agentID = try idNode.value(
            expected: "1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit",
            { ConfigurationValue.isValidAgentID($0) ? $0 : nil }
        )

        let endpointsNode = try map.required(
            "endpoints", hint: "the hubs to ship to, e.g. endpoints: [\"hub.internal:7443\"]")
        let endpoints = try Self.uniqueList(endpointsNode, expected: "a list of host:port") {
            node throws(ConfigurationError) in
            let text = try node.scalar(expected: "host:port")
            switch Endpoint.parse(text) {
            case .success(let endpoint): return endpoint
            case .failure(let failure): throw node.invalid(reason: failure.reason)
            }
        }
        guard !endpoints.isEmpty else {
            throw endpointsNode.invalid(expected: "at least one host:port")
        }

        let tls = try TLSFiles(from: map.required("tls", hint: "tls: { ca: ..., cert: ..., key: ... }"))

        self.init(
            agentID: agentID,
            endpoints: endpoints,
            tls: tls,
            labels: try map["labels"].map(Self.labels) ?? [:],
            ingest: try Ingest(from: map["ingest"]),
            buffer: try Buffer(from: map["buffer"]),
            sampling: try Sampling(from: map["sampling"]),
            shipping: try Shipping(from: map["shipping"]),
            shutdown: try Shutdown(from: map["shutdown"])
        )
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
            let key = try keyAt.scalar(expected: "a label name")
            guard !key.isEmpty, key.utf8.count <= maxLabelKeyBytes else {
                throw keyAt.invalid(expected: "a label name of 1 to \(maxLabelKeyBytes) bytes")
            }
            let valueAt = ConfigurationNode(node: valueNode, path: node.childPath(key), source: node.source)
            let value = try valueAt.scalar(expected: "a text value")
            guard value.utf8.count <= maxLabelValueBytes else {
                throw valueAt.invalid(
                    reason:
                        "a label value must be at most \(maxLabelValueBytes) bytes, this one has \(value.utf8.count)")
            }
            labels[key] = value
        }
        return labels
    }

    static func syntaxError(_ error: any Error, source: String) -> ConfigurationError {
        var line: Int?
        var detail = "not valid YAML"
        if let yamlError = error as? YamlError {
            switch yamlError {
            case .scanner(let context, let problem, let mark, _),
                .parser(let context, let problem, let mark, _),
                .composer(let context, let problem, let mark, _):
                line = mark.line
                detail = "not valid YAML: \(problem)"
                if let context { detail += " (\(context.text) at line \(context.mark.line))" }
            case .duplicatedKeysInMapping(let duplicates, let context):
                line = context.mark.line
                detail = "duplicate key \(duplicates.map { QuotedText.quote($0) }.joined(separator: ", "))"
            default:
                detail = "not valid YAML: \(yamlError)"
            }
        }
        return ConfigurationError(code: .syntax, source: source, keyPath: "", detail: detail, line: line, cause: error)
    }

    private static func readFile(_ path: String) throws(ConfigurationError) -> [UInt8] {
        func failure(_ what: String) -> ConfigurationError {
            let code = errno
            return ConfigurationError(
                code: .unreadable,
                source: path,
                keyPath: "",
                detail: "cannot \(what): \(String(cString: strerror(code))) (errno \(code))"
            )
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open the file") }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: maxFileBytes + 1)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("read the file")
            }
            if count == 0 { break }
            filled += count
        }
        guard filled <= maxFileBytes else {
            throw ConfigurationError(
                code: .unreadable,
                source: path,
                keyPath: "",
                detail: "the file is larger than \(maxFileBytes) bytes; is this the right file?"
            )
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }
}

extension ConfigurationError: LocatedConfigurationError {
    public static func syntaxError(_ error: any Error, source: String) -> ConfigurationError {
        AgentConfiguration.syntaxError(error, source: source)
    }

    public static func overrideError(_ error: ConfigurationOverride.SyntaxError) -> ConfigurationError {
        ConfigurationError(code: .invalidValue, source: error.flag, keyPath: "", detail: error.reason)
    }
}
