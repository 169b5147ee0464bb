import Testing
import VigilConfiguration
import VigilHub

@Suite("Hub configuration")
struct HubConfigurationTests {
    let tls = "tls: { ca: /etc/vigil/ca.pem, cert: /etc/vigil/hub.pem, key: /etc/vigil/hub.key }\n"

    func load(_ yaml: String) throws(ConfigurationError) -> HubConfiguration {
        try HubConfiguration.load(yaml: yaml, source: "hub.yaml")
    }

    func error(_ yaml: String) -> ConfigurationError? {
        do {
            _ = try load(yaml)
            return nil
        } catch {
            return error
        }
    }

    @Test("only tls given: every other setting takes its documented default")
    func defaults() throws {
        let configuration = try load(tls)
        #expect(configuration.listen == HostPort(host: "0.0.0.0", port: 7443))
        #expect(configuration.admin == HostPort(host: "127.0.0.1", port: 7480))
        #expect(configuration.tls.ca == "/etc/vigil/ca.pem")
        #expect(configuration.store.kind == .sqlite)
        #expect(configuration.store.path == "/var/lib/vigil/hub.db")
        #expect(configuration.store.durability == .full)
        #expect(configuration.limits.maxFrameBytes == 16_777_216)
        #expect(configuration.limits.maxConnections == 10_000)
        #expect(configuration.limits.maxBatchRecords == 10_000)
        #expect(configuration.retention.raw == .seconds(90 * 86_400))
        #expect(configuration.retention.rollups == .seconds(365 * 86_400))
        #expect(configuration.evaluationInterval == .seconds(10))
        #expect(configuration.judge.baseline == .auto)
        #expect(configuration.judge.window == .seconds(1800))
        #expect(configuration.autoscale.targetCPU == 0.7)
        #expect(configuration.breaker.minCalls == 20)
        #expect(configuration.alerts.repeatInterval == .seconds(4 * 3600))
    }

    @Test("the full example of DESIGN §9 loads with every value as written")
    func designExample() throws {
        let configuration = try load(
            """
            listen: "0.0.0.0:7443"
            admin: "127.0.0.1:7480"
            tls: { ca: /etc/vigil/ca.pem, cert: /etc/vigil/hub.pem, key: /etc/vigil/hub.key }
            store: { kind: sqlite, path: /var/lib/vigil/hub.db }
            limits: { max_frame_bytes: 16777216, max_connections: 10000 }
            retention: { raw: 90d, rollups: 365d }
            evaluation_interval: 10s
            judge: { baseline: auto, window: 30m }
            autoscale: { target_cpu: 0.7, tolerance: 0.1, target_queue_per_replica: 50, scale_down_window: 300s }
            breaker: { window: 60s, min_calls: 20, failure_rate: 0.5, slow_call_ms: 1000, slow_call_rate: 0.5, consecutive_failures: 10, open_wait: 60s }
            alerts: { rules: [/etc/vigil/rules.yaml], webhooks: ["https://hooks.example/vigil"], repeat_interval: 4h }
            """)
        #expect(configuration.autoscale.scaleDownWindow == .seconds(300))
        #expect(configuration.breaker.openWait == .seconds(60))
        #expect(configuration.alerts.rules == ["/etc/vigil/rules.yaml"])
        #expect(configuration.alerts.webhooks == ["https://hooks.example/vigil"])
        #expect(configuration.evaluationInterval == .seconds(10))
    }

    @Test("durations accept ms, s, m, h and d; port 0 and IPv6 addresses are accepted")
    func valueSyntaxes() throws {
        let configuration = try load(
            tls + "listen: \"[::1]:0\"\nevaluation_interval: 1500ms\njudge: { baseline: \"2.1.0\", window: 4h }\n")
        #expect(configuration.listen == HostPort(host: "::1", port: 0))
        #expect(configuration.listen.description == "[::1]:0")
        #expect(configuration.evaluationInterval == .milliseconds(1500))
        #expect(configuration.judge.baseline == .pinned("2.1.0"))
        #expect(configuration.judge.window == .seconds(4 * 3600))
    }

    @Test("a non-integer max_frame_bytes names the key path and the value")
    func badFrameBytes() {
        let failure = error(tls + "limits: { max_frame_bytes: big }\n")
        #expect(failure?.code == .invalidValue)
        #expect(failure?.keyPath == "limits.max_frame_bytes")
        #expect(
            failure?.message
                == "hub.yaml: limits.max_frame_bytes: expected a positive integer up to 1073741824, got \"big\"")
    }

    @Test("authorization: rules in order, globs on the agent id, and every bad key named with its path")
    func authorizationPolicy() throws {
        let policy = try #require(
            try load(
                tls + """
                    authorization:
                      default: deny
                      agents:
                        - { match: "checkout-*", services: [checkout, checkout-worker] }
                        - { match: "*", services: ["*"] }
                    """
            ).authorization)
        #expect(policy.grant(for: "checkout-07").grant == .only(["checkout", "checkout-worker"]))
        #expect(policy.grant(for: "checkout-07").rule == 0)
        #expect(policy.grant(for: "web-01").grant == .all && policy.grant(for: "web-01").rule == 1)
        #expect(try load(tls + "authorization: { default: deny }").authorization?.grant(for: "x").grant == .only([]))
        #expect(try load(tls).authorization == nil)

        let missing = error(tls + "authorization: { agents: [] }")
        #expect(missing?.keyPath == "authorization.default" && missing?.message.contains("allow or deny") == true)
        let bad = error(tls + "authorization: { default: deny, agents: [{ match: web, services: [\"\"] }] }")
        #expect(bad?.keyPath == "authorization.agents[0].services[0]")
        #expect(bad?.message.contains("a service name of 1 to 256 bytes") == true)
        let unknown = error(tls + "authorization: { default: deny, agents: [{ match: web, service: [a] }] }")
        #expect(unknown?.code == .unknownKey && unknown?.keyPath == "authorization.agents[0].service")
    }

    @Test("an unknown top-level key suggests the closest known one")
    func unknownTopLevelKey() {
        let failure = error(tls + "lisen: \"0.0.0.0:7443\"\n")
        #expect(failure?.code == .unknownKey)
        #expect(failure?.keyPath == "lisen")
        #expect(failure?.message.contains("did you mean listen?") == true)
    }

    @Test("an unknown nested key names its full path and suggests a fix")
    func unknownNestedKey() {
        let failure = error(tls + "limits: { max_conections: 5 }\n")
        #expect(failure?.code == .unknownKey)
        #expect(failure?.keyPath == "limits.max_conections")
        #expect(failure?.message.contains("max_connections") == true)
    }

    @Test("a missing tls section is a missing key")
    func missingTLS() {
        let failure = error("listen: \"0.0.0.0:7443\"\n")
        #expect(failure?.code == .missingKey)
        #expect(failure?.keyPath == "tls")
    }

    @Test("a missing tls.key is a missing key with its path")
    func missingTLSKey() {
        let failure = error("tls: { ca: /a, cert: /b }\n")
        #expect(failure?.code == .missingKey)
        #expect(failure?.keyPath == "tls.key")
    }

    @Test("a listen address without a port is invalid")
    func listenWithoutPort() {
        let failure = error(tls + "listen: \"0.0.0.0\"\n")
        #expect(failure?.code == .invalidValue)
        #expect(failure?.keyPath == "listen")
        #expect(failure?.message.contains("port is missing") == true)
    }

    @Test("a port above 65535 is invalid")
    func portTooLarge() {
        let failure = error(tls + "admin: \"127.0.0.1:70000\"\n")
        #expect(failure?.keyPath == "admin")
        #expect(failure?.code == .invalidValue)
    }

    @Test("an unknown store kind is invalid; postgres needs a URL, which is checked and never echoes a password")
    func storeKinds() throws {
        let unknown = error(tls + "store: { kind: mysql }\n")
        #expect(unknown?.keyPath == "store.kind")
        #expect(unknown?.message.contains("expected sqlite or postgres") == true)
        let noURL = error(tls + "store: { kind: postgres }\n")
        #expect(noURL?.code == .missingKey)
        #expect(noURL?.keyPath == "store.url")
        let noUser = error(tls + "store: { kind: postgres, url: \"postgres://db/vigil\" }\n")
        #expect(noUser?.keyPath == "store.url")
        #expect(noUser?.message.contains("names no user") == true, "\(String(describing: noUser))")
        let secret = error(tls + "store: { kind: postgres, url: \"postgres://vigil:hunter2@db/vigil\" }\n")
        #expect(secret?.message.contains("store.password_file") == true, "\(String(describing: secret))")
        #expect(secret?.message.contains("hunter2") == false)
        #expect(secret?.value?.contains("hunter2") == false)
        let badMode = error(tls + "store: { kind: postgres, url: \"postgres://vigil@db/vigil?sslmode=allow\" }\n")
        #expect(badMode?.message.contains("sslmode \"allow\" is not one of") == true)
        let good = try load(
            tls
                + """
                store: { kind: postgres, url: "postgres://vigil@db.internal:5433/fleet?sslmode=verify-full",
                         password_file: /etc/vigil/pg.pass, ca: /etc/vigil/pg-ca.pem, pool: 12 }

                """)
        #expect(good.store.kind == .postgres)
        #expect(good.store.postgres?.host == "db.internal")
        #expect(good.store.postgres?.port == 5433)
        #expect(good.store.postgres?.database == "fleet")
        #expect(good.store.pool == 12)
        let summary = good.renderedSummary()
        #expect(summary.contains("store.url: postgres://vigil@db.internal:5433/fleet (sslmode verify-full)"))
        #expect(summary.contains("store.password_file: /etc/vigil/pg.pass"))
    }

    @Test("store.durability is full or normal, and anything else names the key and the choices")
    func storeDurability() throws {
        #expect(try load(tls + "store: { durability: normal }\n").store.durability == .normal)
        #expect(try load(tls + "store: { durability: full }\n").store.durability == .full)
        let failure = error(tls + "store: { durability: fsync }\n")
        #expect(failure?.keyPath == "store.durability")
        #expect(failure?.message.contains("expected full or normal") == true)
    }

    @Test("a duration without a unit is invalid")
    func durationWithoutUnit() {
        let failure = error(tls + "retention: { raw: 90 }\n")
        #expect(failure?.keyPath == "retention.raw")
        #expect(failure?.message.contains("got \"90\"") == true)
    }

    @Test("a ratio outside 0 to 1 is invalid")
    func ratioOutOfRange() {
        let failure = error(tls + "breaker: { failure_rate: 1.5 }\n")
        #expect(failure?.keyPath == "breaker.failure_rate")
        #expect(failure?.code == .invalidValue)
    }

    @Test("a zero or negative count is invalid")
    func zeroCount() {
        #expect(error(tls + "limits: { max_connections: 0 }\n")?.keyPath == "limits.max_connections")
        #expect(error(tls + "breaker: { min_calls: -3 }\n")?.keyPath == "breaker.min_calls")
    }

    @Test("a webhook that is not an http(s) URL is invalid, with its list index")
    func badWebhook() {
        let failure = error(tls + "alerts: { webhooks: [\"https://ok.example/x\", \"ftp://nope\"] }\n")
        #expect(failure?.keyPath == "alerts.webhooks[1]")
    }

    @Test("a section given as a scalar is invalid")
    func sectionAsScalar() {
        let failure = error(tls + "limits: 5\n")
        #expect(failure?.keyPath == "limits")
        #expect(failure?.message.contains("expected a mapping") == true)
    }

    @Test("max_replicas below min_replicas is invalid")
    func replicaBounds() {
        let failure = error(tls + "autoscale: { min_replicas: 5, max_replicas: 2 }\n")
        #expect(failure?.keyPath == "autoscale.max_replicas")
    }

    @Test("malformed YAML and duplicate keys are syntax errors with a line")
    func syntaxErrors() {
        let broken = error(tls + "limits: { max_frame_bytes: 5\n")
        #expect(broken?.code == .syntax)
        let duplicate = error(tls + "listen: \"0.0.0.0:1\"\nlisten: \"0.0.0.0:2\"\n")
        #expect(duplicate?.code == .syntax)
        #expect(duplicate?.message.contains("duplicate key") == true)
    }

    @Test("a file that does not exist is unreadable, prefixed with its path")
    func unreadableFile() {
        do {
            _ = try HubConfiguration.load(path: "/nonexistent/hub.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unreadable)
            #expect(error.message.hasPrefix("/nonexistent/hub.yaml: "))
        }
    }

    @Test("the summary shows effective settings and key paths but never key contents or webhook paths")
    func summary() throws {
        let configuration = try load(
            tls + "alerts: { webhooks: [\"https://user:secret@hooks.example/T0/B1/token\"] }\n")
        let summary = configuration.renderedSummary()
        #expect(summary.contains("listen: 0.0.0.0:7443\n"))
        #expect(summary.contains("tls.key: /etc/vigil/hub.key (contents not shown)\n"))
        #expect(summary.contains("retention.raw: 90d\n"))
        #expect(summary.contains("alerts.webhooks: [https://hooks.example/…]\n"))
        #expect(!summary.contains("secret"))
        #expect(!summary.contains("T0/B1") && !summary.contains("/token"))
    }
}
