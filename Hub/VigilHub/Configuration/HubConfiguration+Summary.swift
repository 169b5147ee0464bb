import VigilConfiguration
import VigilProtocol

extension HubConfiguration {
    /// The effective settings, one `key.path: value` per line with defaults filled in, for
    /// `vigil-hub check-config`. Shows the TLS file paths only, never their contents.
    public func renderedSummary() -> String {
        func list(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }
        let d: (Duration) -> String = ConfigurationValue.render
        let baseline: String
        switch judge.baseline {
        case .auto: baseline = "auto"
        case .pinned(let version): baseline = QuotedText.quote(version)
        }
        var lines: [(String, String)] = [
            ("listen", listen.description),
            ("admin", admin.description + (adminAuth == nil ? " (open: loopback only)" : "")),
            ("admin_auth.tokens_file", adminAuth?.tokensFile.map { $0 + " (tokens not shown)" } ?? "(none)"),
            ("admin_auth.client_ca", adminAuth?.clientCA ?? "(none)"),
            ("admin_auth.client_role", adminAuth?.clientRole.rawValue ?? "read"),
            ("admin_tls.cert", adminTLS?.cert ?? "(none: plain HTTP)"),
            ("admin_tls.key", adminTLS.map { $0.key + " (contents not shown)" } ?? "(none)"),
            ("hub_id", hubID ?? "(the host name)"),
            ("tls.ca", tls.ca),
            ("tls.cert", tls.cert),
            ("tls.key", tls.key + " (contents not shown)"),
            ("store.kind", store.kind.rawValue),
        ]
        switch store.kind {
        case .sqlite:
            lines += [("store.path", store.path), ("store.durability", store.durability.rawValue)]
        case .postgres:
            // The URL holds no password (the loader refuses one); the password file is named, never read here.
            lines += [
                ("store.url", store.postgres.map { "\($0) (sslmode \($0.sslMode.rawValue))" } ?? "(none)"),
                ("store.password_file", store.passwordFile ?? "(none: no password)"),
                ("store.ca", store.ca ?? "(the system's trust store)"),
                ("store.pool", String(store.pool)),
                ("store.timeout", d(store.timeout)),
            ]
        }
        lines += [
            ("limits.max_frame_bytes", String(limits.maxFrameBytes)),
            ("limits.max_connections", String(limits.maxConnections)),
            ("limits.max_batch_records", String(limits.maxBatchRecords)),
            ("retention.raw", d(retention.raw)),
            ("retention.rollups", d(retention.rollups)),
            ("evaluation_interval", d(evaluationInterval)),
            ("judge.baseline", baseline),
            ("judge.window", d(judge.window)),
            ("autoscale.target_cpu", "\(autoscale.targetCPU)"),
            ("autoscale.tolerance", "\(autoscale.tolerance)"),
            ("autoscale.target_queue_per_replica", "\(autoscale.targetQueuePerReplica)"),
            ("autoscale.scale_down_window", d(autoscale.scaleDownWindow)),
            ("autoscale.min_replicas", String(autoscale.minReplicas)),
            ("autoscale.max_replicas", String(autoscale.maxReplicas)),
            ("breaker.window", d(breaker.window)),
            ("breaker.min_calls", String(breaker.minCalls)),
            ("breaker.failure_rate", "\(breaker.failureRate)"),
            ("breaker.slow_call_ms", "\(breaker.slowCallMs)"),
            ("breaker.slow_call_rate", "\(breaker.slowCallRate)"),
            ("breaker.consecutive_failures", String(breaker.consecutiveFailures)),
            ("breaker.open_wait", d(breaker.openWait)),
            ("breaker.half_open_calls", String(breaker.halfOpenCalls)),
            ("alerts.rules", list(alerts.rules)),
            // A webhook URL often carries a token in its path or query: show where it goes, not all of it.
            ("alerts.webhooks", list(alerts.webhooks.map(Self.webhookOrigin))),
            ("alerts.repeat_interval", d(alerts.repeatInterval)),
        ]
        if let authorization {
            lines.append(("authorization.default", authorization.fallback.rawValue))
            for (index, rule) in authorization.rules.enumerated() {
                lines.append(("authorization.agents[\(index)].match", QuotedText.quote(rule.match)))
                lines.append(("authorization.agents[\(index)].services", "[\(rule.services)]"))
            }
        } else {
            lines.append(("authorization", "(none: each agent may speak for what its certificate allows)"))
        }
        return lines.map { "\($0.0): \($0.1)" }.joined(separator: "\n") + "\n"
    }

    static func webhookOrigin(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return "(not shown)" }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host = authority.split(separator: "@").last.map(String.init) ?? ""
        return url[..<schemeEnd.upperBound] + host + (authority.count < rest.count ? "/…" : "")
    }
}
