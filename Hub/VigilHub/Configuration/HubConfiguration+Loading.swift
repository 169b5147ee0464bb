import VigilConfiguration
import VigilProtocol
import Yams

extension HubConfiguration: LoadableConfiguration {
    static let topLevelKeys = [
        "listen", "admin", "admin_auth", "admin_tls", "hub_id", "tls", "store", "limits", "retention",
        "evaluation_interval", "judge",
        "autoscale", "breaker", "alerts", "authorization",
    ]

    /// See ``LoadableConfiguration``: the file's text parsed, `overrides` applied, validated.
    public static func loadDocument(
        yaml: String, source: String, overrides: [ConfigurationOverride]
    )
        throws(ConfigurationError) -> (configuration: HubConfiguration, fileKeys: Set<String>)
    {
        try ConfigurationOverride.load(
            yaml: yaml, source: source, overrides: overrides
        ) { (root: Node?) throws(ConfigurationError) -> HubConfiguration in
            guard let root else {
                throw .missingKey("tls", source: source, hint: "the file is empty; tls: { ca, cert, key } is required")
            }
            return try HubConfiguration(from: ConfigurationNode(node: root, path: "", source: source))
        }
    }

    init(from root: ConfigurationNode) throws(ConfigurationError) {
        guard case .mapping = root.node else {
            throw ConfigurationError(
                code: .invalidValue, source: root.source, keyPath: "", value: root.rendered,
                detail:
                    "expected a mapping of keys such as listen, tls and store at the top level, got \(root.rendered)",
                line: root.line)
        }
        let map = try root.mapping(allowedKeys: Self.topLevelKeys)
        var problems = ConfigurationProblems()
        var tls = TLSFiles(ca: "", cert: "", key: "")
        problems.check { () throws(ConfigurationError) in
            tls = try TLSFiles(from: map.required("tls", hint: "tls: { ca: ..., cert: ..., key: ... }"), own: "hub")
        }
        self.init(tls: tls)
        map.read("listen", into: &problems) { node throws(ConfigurationError) in
            listen = try node.address(ports: 0...65535, example: "0.0.0.0:7443")
        }
        map.read("admin", into: &problems) { node throws(ConfigurationError) in
            admin = try node.address(ports: 0...65535, example: "127.0.0.1:7480")
        }
        map.read("admin_auth", into: &problems) { node throws(ConfigurationError) in
            adminAuth = try Self.adminAuth(node)
        }
        map.read("admin_tls", into: &problems) { node throws(ConfigurationError) in adminTLS = try Self.adminTLS(node) }
        problems.check { () throws(ConfigurationError) in try checkAdminAccess(map) }
        map.read("hub_id", into: &problems) { node throws(ConfigurationError) in
            hubID = try node.boundedText("a name", maxBytes: 128)
        }
        map.read("store", into: &problems) { node throws(ConfigurationError) in store = try Self.store(node) }
        map.read("limits", into: &problems) { node throws(ConfigurationError) in limits = try Self.limits(node) }
        map.read("retention", into: &problems) { node throws(ConfigurationError) in retention = try Self.retention(node)
        }
        map.read("evaluation_interval", into: &problems) { node throws(ConfigurationError) in
            evaluationInterval = try node.duration(atLeast: .seconds(1))
        }
        map.read("judge", into: &problems) { node throws(ConfigurationError) in judge = try Self.judge(node) }
        map.read("autoscale", into: &problems) { node throws(ConfigurationError) in autoscale = try Self.autoscale(node)
        }
        map.read("breaker", into: &problems) { node throws(ConfigurationError) in breaker = try Self.breaker(node) }
        map.read("alerts", into: &problems) { node throws(ConfigurationError) in alerts = try Self.alerts(node) }
        map.read("authorization", into: &problems) { node throws(ConfigurationError) in
            authorization = try Self.authorization(node)
        }
        try problems.throwIfAny()
    }

    /// `authorization: { default: allow | deny, agents: [{ match: GLOB, services: [NAME | "*", …] }, …] }`.
    static func authorization(_ node: ConfigurationNode) throws(ConfigurationError) -> AuthorizationPolicy {
        let map = try node.mapping(allowedKeys: ["default", "agents"])
        var problems = ConfigurationProblems()
        let fallback = try map.required(
            "default", hint: "allow or deny: what an agent that matches no rule under agents may speak for"
        ).value(expected: "allow or deny") { AuthorizationPolicy.Default(rawValue: $0) }
        var rules: [AuthorizationPolicy.Rule] = []
        map.read("agents", into: &problems) { list throws(ConfigurationError) in
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
        try problems.throwIfAny()
        return AuthorizationPolicy(default: fallback, rules: rules)
    }

    private static func adminAuth(_ node: ConfigurationNode) throws(ConfigurationError) -> AdminAuth {
        let map = try node.mapping(allowedKeys: ["tokens_file", "client_ca", "client_role"])
        var problems = ConfigurationProblems()
        var auth = AdminAuth()
        map.read("tokens_file", into: &problems) { file throws(ConfigurationError) in
            auth.tokensFile = try file.nonEmptyString(expected: "a file path")
        }
        map.read("client_ca", into: &problems) { ca throws(ConfigurationError) in
            auth.clientCA = try ca.nonEmptyString(expected: "a PEM file path")
        }
        map.read("client_role", into: &problems) { role throws(ConfigurationError) in
            auth.clientRole = try role.value(expected: "read or admin") { AdminRole(rawValue: $0) }
        }
        if let role = map["client_role"], auth.clientCA == nil {
            throw ConfigurationError(
                code: .invalidValue, source: role.source, keyPath: role.path, value: role.rendered,
                detail: "client_role applies to client certificates; set client_ca too, or remove it", line: role.line)
        }
        guard auth.tokensFile != nil || auth.clientCA != nil else {
            throw ConfigurationError(
                code: .missingKey, source: node.source, keyPath: node.childPath("tokens_file"),
                detail: "admin_auth needs tokens_file (lines NAME ROLE TOKEN) or client_ca (a PEM file), or both",
                line: node.line)
        }
        try problems.throwIfAny()
        return auth
    }

    private static func adminTLS(_ node: ConfigurationNode) throws(ConfigurationError) -> AdminTLS {
        let map = try node.mapping(allowedKeys: ["cert", "key"])
        return AdminTLS(
            cert: try map.required("cert", hint: "the admin address's certificate").nonEmptyString(
                expected: "a file path"),
            key: try map.required("key", hint: "its private key").nonEmptyString(expected: "a file path"))
    }

    /// An admin address reachable from other hosts must say who may use it; client certificates need HTTPS.
    private func checkAdminAccess(_ map: ConfigurationMapping) throws(ConfigurationError) {
        if adminAuth?.clientCA != nil && adminTLS == nil, let node = map["admin_auth"] {
            throw ConfigurationError(
                code: .missingKey, source: node.source, keyPath: "admin_tls",
                detail: "admin_auth.client_ca needs admin_tls: { cert, key } (client certificates need HTTPS)",
                line: node.line)
        }
        if adminAuth == nil && !admin.isLoopback {
            let node = map["admin"]
            throw ConfigurationError(
                code: .missingKey, source: node?.source ?? "", keyPath: "admin_auth", value: nil,
                detail:
                    "admin \(admin) is reachable from other hosts; set admin_auth: { tokens_file: FILE } "
                    + "(and admin_tls for HTTPS), or bind admin to 127.0.0.1",
                line: node?.line)
        }
    }

    private static func store(_ node: ConfigurationNode) throws(ConfigurationError) -> Store {
        let map = try node.mapping(allowedKeys: [
            "kind", "path", "url", "password_file", "ca", "pool", "timeout", "durability",
        ])
        var problems = ConfigurationProblems()
        var store = Store()
        map.read("kind", into: &problems) { kind throws(ConfigurationError) in
            store.kind = try kind.value(expected: "sqlite or postgres") { Store.Kind(rawValue: $0) }
        }
        map.read("path", into: &problems) { path throws(ConfigurationError) in
            store.path = try path.nonEmptyString(expected: "a file path")
        }
        map.read("url", into: &problems) { url throws(ConfigurationError) in
            let text = try url.string(expected: "a postgres:// URL")
            do throws(PostgresTargetError) {
                store.postgres = try PostgresTarget.parse(text)
            } catch {
                throw ConfigurationError(
                    code: .invalidValue, source: url.source, keyPath: url.path,
                    value: "\"\(PostgresTarget.redacted(text))\"", detail: error.description, line: url.line)
            }
        }
        map.read("password_file", into: &problems) { file throws(ConfigurationError) in
            store.passwordFile = try file.nonEmptyString(expected: "a file path")
        }
        map.read("ca", into: &problems) { ca throws(ConfigurationError) in
            store.ca = try ca.nonEmptyString(expected: "a PEM file path")
        }
        map.read("pool", into: &problems) { pool throws(ConfigurationError) in
            store.pool = try pool.positiveInteger(max: 200)
        }
        map.read("timeout", into: &problems) { timeout throws(ConfigurationError) in
            store.timeout = try timeout.duration(atLeast: .seconds(1))
        }
        map.read("durability", into: &problems) { durability throws(ConfigurationError) in
            store.durability = try durability.value(expected: "full or normal") { Store.Durability(rawValue: $0) }
        }
        if store.kind == .postgres && map["url"] == nil {
            throw ConfigurationError(
                code: .missingKey, source: node.source, keyPath: node.childPath("url"), value: nil,
                detail: "kind: postgres needs url: postgres://USER@HOST:5432/DATABASE", line: map["kind"]?.line)
        }
        try problems.throwIfAny()
        return store
    }

    private static func limits(_ node: ConfigurationNode) throws(ConfigurationError) -> Limits {
        let map = try node.mapping(allowedKeys: ["max_frame_bytes", "max_connections", "max_batch_records"])
        var problems = ConfigurationProblems()
        var limits = Limits()
        map.read("max_frame_bytes", into: &problems) { n throws(ConfigurationError) in
            limits.maxFrameBytes = try n.positiveInteger(max: 1 << 30)
        }
        map.read("max_connections", into: &problems) { n throws(ConfigurationError) in
            limits.maxConnections = try n.positiveInteger(max: 1_000_000)
        }
        map.read("max_batch_records", into: &problems) { n throws(ConfigurationError) in
            limits.maxBatchRecords = try n.positiveInteger(max: 1_000_000)
        }
        try problems.throwIfAny()
        return limits
    }

    private static func retention(_ node: ConfigurationNode) throws(ConfigurationError) -> Retention {
        let map = try node.mapping(allowedKeys: ["raw", "rollups"])
        var problems = ConfigurationProblems()
        var retention = Retention()
        map.read("raw", into: &problems) { d throws(ConfigurationError) in
            retention.raw = try d.duration(atLeast: .seconds(60))
        }
        map.read("rollups", into: &problems) { d throws(ConfigurationError) in
            retention.rollups = try d.duration(atLeast: .seconds(60))
        }
        try problems.throwIfAny()
        return retention
    }

    private static func judge(_ node: ConfigurationNode) throws(ConfigurationError) -> Judge {
        let map = try node.mapping(allowedKeys: ["baseline", "window"])
        var problems = ConfigurationProblems()
        var judge = Judge()
        map.read("baseline", into: &problems) { b throws(ConfigurationError) in
            let text = try b.nonEmptyString(expected: "auto or a version string")
            judge.baseline = text == "auto" ? .auto : .pinned(text)
        }
        map.read("window", into: &problems) { d throws(ConfigurationError) in
            judge.window = try d.duration(atLeast: .seconds(60))
        }
        try problems.throwIfAny()
        return judge
    }

    private static func autoscale(_ node: ConfigurationNode) throws(ConfigurationError) -> Autoscale {
        let map = try node.mapping(allowedKeys: [
            "target_cpu", "tolerance", "target_queue_per_replica", "scale_down_window", "min_replicas", "max_replicas",
        ])
        var problems = ConfigurationProblems()
        var a = Autoscale()
        map.read("target_cpu", into: &problems) { n throws(ConfigurationError) in
            a.targetCPU = try n.number(in: 0.01...1, expected: "a ratio between 0.01 and 1")
        }
        map.read("tolerance", into: &problems) { n throws(ConfigurationError) in
            a.tolerance = try n.number(in: 0...1, expected: "a ratio between 0 and 1")
        }
        map.read("target_queue_per_replica", into: &problems) { n throws(ConfigurationError) in
            a.targetQueuePerReplica = try n.number(in: 0.001...1e12, expected: "a positive number")
        }
        map.read("scale_down_window", into: &problems) { d throws(ConfigurationError) in
            a.scaleDownWindow = try d.duration(atLeast: .seconds(1))
        }
        map.read("min_replicas", into: &problems) { n throws(ConfigurationError) in
            a.minReplicas = try n.positiveInteger(max: 1_000_000)
        }
        map.read("max_replicas", into: &problems) { n throws(ConfigurationError) in
            a.maxReplicas = try n.positiveInteger(max: 1_000_000)
        }
        if a.minReplicas > a.maxReplicas, let n = map["max_replicas"] ?? map["min_replicas"] {
            throw n.invalid(expected: "max_replicas ≥ min_replicas (\(a.minReplicas))")
        }
        try problems.throwIfAny()
        return a
    }

    private static func breaker(_ node: ConfigurationNode) throws(ConfigurationError) -> Breaker {
        let map = try node.mapping(allowedKeys: [
            "window", "min_calls", "failure_rate", "slow_call_ms", "slow_call_rate", "consecutive_failures",
            "open_wait", "half_open_calls",
        ])
        var problems = ConfigurationProblems()
        var b = Breaker()
        let ratio = "a ratio between 0.01 and 1"
        map.read("window", into: &problems) { d throws(ConfigurationError) in
            b.window = try d.duration(atLeast: .seconds(1))
        }
        map.read("min_calls", into: &problems) { n throws(ConfigurationError) in
            b.minCalls = try n.positiveInteger(max: 1_000_000)
        }
        map.read("failure_rate", into: &problems) { n throws(ConfigurationError) in
            b.failureRate = try n.number(in: 0.01...1, expected: ratio)
        }
        map.read("slow_call_ms", into: &problems) { n throws(ConfigurationError) in
            b.slowCallMs = try n.number(in: 0.001...1e9, expected: "a positive number")
        }
        map.read("slow_call_rate", into: &problems) { n throws(ConfigurationError) in
            b.slowCallRate = try n.number(in: 0.01...1, expected: ratio)
        }
        map.read("consecutive_failures", into: &problems) { n throws(ConfigurationError) in
            b.consecutiveFailures = try n.positiveInteger(max: 1_000_000)
        }
        map.read("open_wait", into: &problems) { d throws(ConfigurationError) in
            b.openWait = try d.duration(atLeast: .seconds(1))
        }
        map.read("half_open_calls", into: &problems) { n throws(ConfigurationError) in
            b.halfOpenCalls = try n.positiveInteger(max: 1_000_000)
        }
        try problems.throwIfAny()
        return b
    }

    private static func alerts(_ node: ConfigurationNode) throws(ConfigurationError) -> Alerts {
        let map = try node.mapping(allowedKeys: ["rules", "webhooks", "repeat_interval"])
        var problems = ConfigurationProblems()
        var alerts = Alerts()
        map.read("rules", into: &problems) { list throws(ConfigurationError) in
            alerts.rules = try list.sequence(expected: "a list of rule file paths").map {
                node throws(ConfigurationError) in try node.nonEmptyString(expected: "a file path")
            }
        }
        map.read("webhooks", into: &problems) { list throws(ConfigurationError) in
            alerts.webhooks = try list.sequence(expected: "a list of http(s) URLs").map {
                node throws(ConfigurationError) in
                try node.value(expected: "an http:// or https:// URL") { text in
                    (text.hasPrefix("http://") || text.hasPrefix("https://")) && text.count > 8
                        && !text.contains(where: \.isWhitespace) ? text : nil
                }
            }
        }
        map.read("repeat_interval", into: &problems) { d throws(ConfigurationError) in
            alerts.repeatInterval = try d.duration(atLeast: .seconds(1))
        }
        try problems.throwIfAny()
        return alerts
    }
}
