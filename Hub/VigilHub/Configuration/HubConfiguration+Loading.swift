import Foundation
import VigilConfiguration
import VigilProtocol
import Yams

extension HubConfiguration {
    /// The largest configuration file read; anything longer is refused before it is parsed.
    public static let maxFileBytes = 1 << 20
    static let topLevelKeys = [
        "listen", "admin", "admin_auth", "admin_tls", "hub_id", "tls", "store", "limits", "retention",
        "evaluation_interval", "judge",
        "autoscale", "breaker", "alerts", "authorization",
    ]

    /// Reads and validates the file at `path` with `overrides` (`--set`) applied; errors are prefixed with
    /// `path`, or with the flag when they are about a key it set.
    public static func load(
        path: String, overrides: [ConfigurationOverride] = []
    ) throws(HubConfigurationError)
        -> HubConfiguration
    {
        try loadDocument(path: path, overrides: overrides).configuration
    }

    /// The configuration and the key paths the file itself wrote (for `check-config --effective`).
    public static func loadDocument(
        path: String, overrides: [ConfigurationOverride] = []
    )
        throws(HubConfigurationError) -> (configuration: HubConfiguration, fileKeys: Set<String>)
    {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .uncached)
        } catch {
            throw HubConfigurationError(
                code: .unreadable, source: path, keyPath: "", detail: "cannot read the file: \(Self.reason(error))",
                cause: error)
        }
        guard data.count <= maxFileBytes else {
            throw HubConfigurationError(
                code: .unreadable, source: path, keyPath: "",
                detail: "the file is larger than \(maxFileBytes) bytes; is this the right file?")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw HubConfigurationError(code: .syntax, source: path, keyPath: "", detail: "the file is not valid UTF-8")
        }
        return try loadDocument(yaml: text, source: path, overrides: overrides)
    }

    /// Parses and validates configuration text; `source` names it in errors.
    public static func load(
        yaml: String, source: String, overrides: [ConfigurationOverride] = []
    )
        throws(HubConfigurationError) -> HubConfiguration
    {
        try loadDocument(yaml: yaml, source: source, overrides: overrides).configuration
    }

    static func loadDocument(
        yaml: String, source: String, overrides: [ConfigurationOverride]
    )
        throws(HubConfigurationError) -> (configuration: HubConfiguration, fileKeys: Set<String>)
    {
        try ConfigurationOverride.load(
            yaml: yaml, source: source, overrides: overrides, as: HubConfigurationError.self
        ) { (root: Node?) throws(HubConfigurationError) -> HubConfiguration in
            guard let root else {
                throw .missingKey("tls", source: source, hint: "the file is empty; tls: { ca, cert, key } is required")
            }
            return try HubConfiguration(from: ConfigNode(node: root, path: "", source: source))
        }
    }

    init(from root: ConfigNode) throws(HubConfigurationError) {
        guard case .mapping = root.node else {
            throw HubConfigurationError(
                code: .invalidValue, source: root.source, keyPath: "", value: root.rendered,
                detail:
                    "expected a mapping of keys such as listen, tls and store at the top level, got \(root.rendered)",
                line: root.line)
        }
        let map = try root.mapping(allowedKeys: Self.topLevelKeys)
        self.init(tls: try Self.tlsFiles(map.required("tls", hint: "tls: { ca: ..., cert: ..., key: ... }")))
        if let node = map["listen"] { listen = try node.address(defaultPortHint: 7443) }
        if let node = map["admin"] { admin = try node.address(defaultPortHint: 7480) }
        if let node = map["admin_auth"] { adminAuth = try Self.adminAuth(node) }
        if let node = map["admin_tls"] { adminTLS = try Self.adminTLS(node) }
        try checkAdminAccess(map)
        if let node = map["hub_id"] {
            hubID = try node.boundedText("a name", maxBytes: 128)
        }
        if let node = map["store"] { store = try Self.store(node) }
        if let node = map["limits"] { limits = try Self.limits(node) }
        if let node = map["retention"] { retention = try Self.retention(node) }
        if let node = map["evaluation_interval"] { evaluationInterval = try node.duration(minimum: .seconds(1)) }
        if let node = map["judge"] { judge = try Self.judge(node) }
        if let node = map["autoscale"] { autoscale = try Self.autoscale(node) }
        if let node = map["breaker"] { breaker = try Self.breaker(node) }
        if let node = map["alerts"] { alerts = try Self.alerts(node) }
        if let node = map["authorization"] { authorization = try Self.authorization(node) }
    }

    /// `authorization: { default: allow | deny, agents: [{ match: GLOB, services: [NAME | "*", …] }, …] }`.
    static func authorization(_ node: ConfigNode) throws(HubConfigurationError) -> AuthorizationPolicy {
        let map = try node.mapping(allowedKeys: ["default", "agents"])
        let fallback = try map.required(
            "default", hint: "allow or deny: what an agent that matches no rule under agents may speak for"
        ).value(expected: "allow or deny") { AuthorizationPolicy.Default(rawValue: $0) }
        var rules: [AuthorizationPolicy.Rule] = []
        if let list = map["agents"] {
            for entry in try list.sequence(expected: "a list of { match: GLOB, services: [NAME, …] }") {
                let rule = try entry.mapping(allowedKeys: ["match", "services"])
                let match = try rule.required("match", hint: "a glob on the agent id, e.g. \"checkout-*\"")
                    .boundedText("a glob", maxBytes: 128)
                let servicesNode = try rule.required(
                    "services", hint: "the services a matching agent may speak for, e.g. [checkout], or [\"*\"]")
                var names = Set<String>()
                var all = false
                for service in try servicesNode.sequence(expected: "a list of service names or \"*\"") {
                    let name = try service.boundedText(
                        "a service name", maxBytes: RecordLimits().maxNameBytes, orAlso: ", or \"*\" for every service")
                    if name == "*" { all = true } else { names.insert(name) }
                }
                rules.append(.init(match: match, services: all ? .all : .only(names)))
            }
        }
        return AuthorizationPolicy(default: fallback, rules: rules)
    }

    private static func tlsFiles(_ node: ConfigNode) throws(HubConfigurationError) -> TLSFiles {
        let map = try node.mapping(allowedKeys: ["ca", "cert", "key"])
        let expected = "a file path"
        return TLSFiles(
            ca: try map.required("ca", hint: "the CA that signs agent certificates").nonEmptyString(expected: expected),
            cert: try map.required("cert", hint: "the hub's certificate").nonEmptyString(expected: expected),
            key: try map.required("key", hint: "the hub's private key").nonEmptyString(expected: expected)
        )
    }

    private static func adminAuth(_ node: ConfigNode) throws(HubConfigurationError) -> AdminAuth {
        let map = try node.mapping(allowedKeys: ["tokens_file", "client_ca", "client_role"])
        var auth = AdminAuth()
        if let file = map["tokens_file"] { auth.tokensFile = try file.nonEmptyString(expected: "a file path") }
        if let ca = map["client_ca"] { auth.clientCA = try ca.nonEmptyString(expected: "a PEM file path") }
        if let role = map["client_role"] {
            auth.clientRole = try role.value(expected: "read or admin") { AdminRole(rawValue: $0) }
        }
        if let role = map["client_role"], auth.clientCA == nil {
            throw HubConfigurationError(
                code: .invalidValue, source: role.source, keyPath: role.path, value: role.rendered,
                detail: "client_role applies to client certificates; set client_ca too, or remove it", line: role.line)
        }
        guard auth.tokensFile != nil || auth.clientCA != nil else {
            throw HubConfigurationError(
                code: .missingKey, source: node.source, keyPath: node.childPath("tokens_file"),
                detail: "admin_auth needs tokens_file (lines NAME ROLE TOKEN) or client_ca (a PEM file), or both",
                line: node.line)
        }
        return auth
    }

    private static func adminTLS(_ node: ConfigNode) throws(HubConfigurationError) -> AdminTLS {
        let map = try node.mapping(allowedKeys: ["cert", "key"])
        return AdminTLS(
            cert: try map.required("cert", hint: "the admin address's certificate").nonEmptyString(
                expected: "a file path"),
            key: try map.required("key", hint: "its private key").nonEmptyString(expected: "a file path"))
    }

    /// An admin address reachable from other hosts must say who may use it; client certificates need HTTPS.
    private func checkAdminAccess(_ map: ConfigMapping) throws(HubConfigurationError) {
        if adminAuth?.clientCA != nil && adminTLS == nil, let node = map["admin_auth"] {
            throw HubConfigurationError(
                code: .missingKey, source: node.source, keyPath: "admin_tls",
                detail: "admin_auth.client_ca needs admin_tls: { cert, key } (client certificates need HTTPS)",
                line: node.line)
        }
        if adminAuth == nil && !admin.isLoopback {
            let node = map["admin"]
            throw HubConfigurationError(
                code: .missingKey, source: node?.source ?? "", keyPath: "admin_auth", value: nil,
                detail:
                    "admin \(admin) is reachable from other hosts; set admin_auth: { tokens_file: FILE } "
                    + "(and admin_tls for HTTPS), or bind admin to 127.0.0.1",
                line: node?.line)
        }
    }

    private static func store(_ node: ConfigNode) throws(HubConfigurationError) -> Store {
        let map = try node.mapping(allowedKeys: [
            "kind", "path", "url", "password_file", "ca", "pool", "timeout", "durability",
        ])
        var store = Store()
        if let kind = map["kind"] {
            store.kind = try kind.value(expected: "sqlite or postgres") { Store.Kind(rawValue: $0) }
        }
        if let path = map["path"] { store.path = try path.nonEmptyString(expected: "a file path") }
        if let url = map["url"] {
            let text = try url.string(expected: "a postgres:// URL")
            do {
                store.postgres = try PostgresTarget.parse(text)
            } catch {
                throw HubConfigurationError(
                    code: .invalidValue, source: url.source, keyPath: url.path,
                    value: "\"\(PostgresTarget.redacted(text))\"", detail: error.description, line: url.line)
            }
        }
        if let file = map["password_file"] { store.passwordFile = try file.nonEmptyString(expected: "a file path") }
        if let ca = map["ca"] { store.ca = try ca.nonEmptyString(expected: "a PEM file path") }
        if let pool = map["pool"] { store.pool = try pool.positiveInteger(max: 200) }
        if let timeout = map["timeout"] { store.timeout = try timeout.duration(minimum: .seconds(1)) }
        if let durability = map["durability"] {
            store.durability = try durability.value(expected: "full or normal") { Store.Durability(rawValue: $0) }
        }
        if store.kind == .postgres && store.postgres == nil {
            throw HubConfigurationError(
                code: .missingKey, source: node.source, keyPath: node.childPath("url"), value: nil,
                detail: "kind: postgres needs url: postgres://USER@HOST:5432/DATABASE", line: map["kind"]?.line)
        }
        return store
    }

    private static func limits(_ node: ConfigNode) throws(HubConfigurationError) -> Limits {
        let map = try node.mapping(allowedKeys: ["max_frame_bytes", "max_connections", "max_batch_records"])
        var limits = Limits()
        if let n = map["max_frame_bytes"] { limits.maxFrameBytes = try n.positiveInteger(max: 1 << 30) }
        if let n = map["max_connections"] { limits.maxConnections = try n.positiveInteger(max: 1_000_000) }
        if let n = map["max_batch_records"] { limits.maxBatchRecords = try n.positiveInteger(max: 1_000_000) }
        return limits
    }

    private static func retention(_ node: ConfigNode) throws(HubConfigurationError) -> Retention {
        let map = try node.mapping(allowedKeys: ["raw", "rollups"])
        var retention = Retention()
        if let d = map["raw"] { retention.raw = try d.duration(minimum: .seconds(60)) }
        if let d = map["rollups"] { retention.rollups = try d.duration(minimum: .seconds(60)) }
        return retention
    }

    private static func judge(_ node: ConfigNode) throws(HubConfigurationError) -> Judge {
        let map = try node.mapping(allowedKeys: ["baseline", "window"])
        var judge = Judge()
        if let b = map["baseline"] {
            let text = try b.nonEmptyString(expected: "auto or a version string")
            judge.baseline = text == "auto" ? .auto : .pinned(text)
        }
        if let d = map["window"] { judge.window = try d.duration(minimum: .seconds(60)) }
        return judge
    }

    private static func autoscale(_ node: ConfigNode) throws(HubConfigurationError) -> Autoscale {
        let map = try node.mapping(allowedKeys: [
            "target_cpu", "tolerance", "target_queue_per_replica", "scale_down_window", "min_replicas", "max_replicas",
        ])
        var a = Autoscale()
        if let n = map["target_cpu"] {
            a.targetCPU = try n.number(in: 0.01...1, expected: "a ratio between 0.01 and 1")
        }
        if let n = map["tolerance"] { a.tolerance = try n.number(in: 0...1, expected: "a ratio between 0 and 1") }
        if let n = map["target_queue_per_replica"] {
            a.targetQueuePerReplica = try n.number(in: 0.001...1e12, expected: "a positive number")
        }
        if let d = map["scale_down_window"] { a.scaleDownWindow = try d.duration(minimum: .seconds(1)) }
        if let n = map["min_replicas"] { a.minReplicas = try n.positiveInteger(max: 1_000_000) }
        if let n = map["max_replicas"] { a.maxReplicas = try n.positiveInteger(max: 1_000_000) }
        if a.minReplicas > a.maxReplicas, let n = map["max_replicas"] ?? map["min_replicas"] {
            throw n.invalid(expected: "max_replicas ≥ min_replicas (\(a.minReplicas))")
        }
        return a
    }

    private static func breaker(_ node: ConfigNode) throws(HubConfigurationError) -> Breaker {
        let map = try node.mapping(allowedKeys: [
            "window", "min_calls", "failure_rate", "slow_call_ms", "slow_call_rate", "consecutive_failures",
            "open_wait", "half_open_calls",
        ])
        var b = Breaker()
        let ratio = "a ratio between 0.01 and 1"
        if let d = map["window"] { b.window = try d.duration(minimum: .seconds(1)) }
        if let n = map["min_calls"] { b.minCalls = try n.positiveInteger(max: 1_000_000) }
        if let n = map["failure_rate"] { b.failureRate = try n.number(in: 0.01...1, expected: ratio) }
        if let n = map["slow_call_ms"] { b.slowCallMs = try n.number(in: 0.001...1e9, expected: "a positive number") }
        if let n = map["slow_call_rate"] { b.slowCallRate = try n.number(in: 0.01...1, expected: ratio) }
        if let n = map["consecutive_failures"] { b.consecutiveFailures = try n.positiveInteger(max: 1_000_000) }
        if let d = map["open_wait"] { b.openWait = try d.duration(minimum: .seconds(1)) }
        if let n = map["half_open_calls"] { b.halfOpenCalls = try n.positiveInteger(max: 1_000_000) }
        return b
    }

    private static func alerts(_ node: ConfigNode) throws(HubConfigurationError) -> Alerts {
        let map = try node.mapping(allowedKeys: ["rules", "webhooks", "repeat_interval"])
        var alerts = Alerts()
        if let list = map["rules"] {
            alerts.rules = try list.sequence(expected: "a list of rule file paths").map {
                node throws(HubConfigurationError) in try node.nonEmptyString(expected: "a file path")
            }
        }
        if let list = map["webhooks"] {
            alerts.webhooks = try list.sequence(expected: "a list of http(s) URLs").map {
                node throws(HubConfigurationError) in
                try node.value(expected: "an http:// or https:// URL") { text in
                    (text.hasPrefix("http://") || text.hasPrefix("https://")) && text.count > 8
                        && !text.contains(where: \.isWhitespace) ? text : nil
                }
            }
        }
        if let d = map["repeat_interval"] { alerts.repeatInterval = try d.duration(minimum: .seconds(1)) }
        return alerts
    }

    static func syntaxError(_ error: any Error, source: String) -> HubConfigurationError {
        var line: Int?
        var detail = "not valid YAML"
        if let yamlError = error as? YamlError {
            switch yamlError {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
                .composer(_, let problem, let mark, _):
                line = mark.line
                detail = "not valid YAML: \(problem)"
            case .duplicatedKeysInMapping(let duplicates, let context):
                line = context.mark.line
                detail = "duplicate key \(duplicates.map { QuotedText.quote($0) }.joined(separator: ", "))"
            default:
                detail = "not valid YAML: \(yamlError)"
            }
        }
        return HubConfigurationError(
            code: .syntax, source: source, keyPath: "", detail: detail, line: line, cause: error)
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
            underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return nsError.localizedDescription
    }
}

extension HubConfigurationError: LocatedConfigurationError {
    public static func syntaxError(_ error: any Error, source: String) -> HubConfigurationError {
        HubConfiguration.syntaxError(error, source: source)
    }

    public static func overrideError(_ error: ConfigurationOverride.SyntaxError) -> HubConfigurationError {
        HubConfigurationError(code: .invalidValue, source: error.flag, keyPath: "", detail: error.reason)
    }
}
