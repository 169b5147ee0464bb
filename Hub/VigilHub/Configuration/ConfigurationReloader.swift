import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals
import VigilConfiguration

/// Reloads hub.yaml on `SIGHUP`, and whenever the file changes on disk (looked at every `checkInterval`), and
/// puts what can change while running into force: the `authorization` policy. Keys that need a restart are
/// named in a warning, and left as they were.
///
/// Invariants:
/// - A file that does not load (syntax, an unknown key, a bad value) changes nothing: the error is logged and
///   shown in `/v1/status`, and the policy in force stays until a file that loads replaces it.
/// - Each reload is counted, with its time and outcome, for `/v1/status`.
/// - Reloads run one at a time (SIGHUP and the file watch cannot interleave and leave an older read in force),
///   and the watch reloads a changed file only once its stamp held for two looks in a row, so a file caught in
///   the middle of a non-atomic write is not applied.
public final class ConfigurationReloader: Service, Sendable {
    /// The outcome of the last reload, for `/v1/status`.
    public struct Status: Sendable, Hashable {
        /// Reloads that loaded and were applied.
        public var reloads: UInt64 = 0
        /// Reloads whose file did not load.
        public var failures: UInt64 = 0
        /// When the last reload was tried (Unix ns; 0 = never).
        public var lastAttemptUnixNano: Int64 = 0
        /// Why the last reload failed; nil once one succeeds.
        public var lastError: String?
        /// Keys that changed in the file but need a restart, as of the last reload.
        public var needsRestart: [String] = []
    }

    /// The configuration file.
    public let path: String
    /// The `--set` flags, applied again on each reload.
    public let overrides: [ConfigurationOverride]
    /// How often the file's stamp is looked at.
    public let checkInterval: Duration
    private let running: HubConfiguration
    private let authorization: AuthorizationState
    private let logger: Logger
    private let now: @Sendable () -> Int64
    private let state: Mutex<(applied: FileStamp, seen: FileStamp, status: Status)>
    private let reloading = Mutex(())

    /// A reloader of `path`, whose configuration as started is `running`; `overrides` (the `--set` flags it
    /// started with) apply to every reload too.
    public init(
        path: String, overrides: [ConfigurationOverride] = [], running: HubConfiguration,
        authorization: AuthorizationState, checkInterval: Duration = .seconds(5),
        logger: Logger, now: @escaping @Sendable () -> Int64
    ) {
        self.path = path
        self.overrides = overrides
        self.running = running
        self.authorization = authorization
        self.checkInterval = checkInterval
        self.logger = logger
        self.now = now
        let stamp = FileStamp([path])
        self.state = Mutex((stamp, stamp, Status()))
    }

    /// The outcome of reloads so far.
    public var status: Status { state.withLock { $0.status } }

    public func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await _ in hangups {
                    logger.info("SIGHUP: reloading the configuration", metadata: ["path": "\(path)"])
                    reload()
                }
            }
            group.addTask { [self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: checkInterval)
                    if !Task.isCancelled { reloadIfChanged() }
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Reloads when the file's stamp (mtime, size, inode) differs from the one last applied and is the same as
    /// at the previous look.
    public func reloadIfChanged() {
        let stamp = FileStamp([path])
        let due = state.withLock { s in
            defer { s.seen = stamp }
            return s.applied != stamp && s.seen == stamp
        }
        if due { reload() }
    }

    /// Reads the file again and applies it; returns whether it loaded.
    @discardableResult
    public func reload() -> Bool {
        reloading.withLock { _ in reloadNow() }
    }

    private func reloadNow() -> Bool {
        let time = now()
        let stamp = FileStamp([path])
        state.withLock { $0.applied = stamp }
        let loaded: HubConfiguration
        do {
            loaded = try HubConfiguration.load(path: path, overrides: overrides)
        } catch {
            state.withLock { s in
                s.status.failures += 1
                s.status.lastAttemptUnixNano = time
                s.status.lastError = error.description
            }
            logger.error(
                "the configuration file changed but does not load; keeping the settings in force",
                metadata: ["path": "\(path)", "error": "\(error)"])
            return false
        }
        let changedPolicy = authorization.replace(loaded.authorization)
        var restartOnly = loaded
        restartOnly.authorization = running.authorization
        let needsRestart = running.differingKeys(from: restartOnly)
        state.withLock { s in
            s.status.reloads += 1
            s.status.lastAttemptUnixNano = time
            s.status.lastError = nil
            s.status.needsRestart = needsRestart
        }
        if changedPolicy {
            logger.notice(
                "authorization policy reloaded; it applies to connected agents from their next batch",
                metadata: ["authorization": "\(loaded.authorization.map(\.summary) ?? "none")"])
        }
        if !needsRestart.isEmpty {
            logger.warning(
                "configuration keys changed that apply only after a restart; they keep their running values",
                metadata: ["keys": "\(needsRestart.joined(separator: ", "))"])
        }
        return true
    }
}

extension HubConfiguration {
    /// The top-level keys whose values differ between `self` and `other`.
    func differingKeys(from other: HubConfiguration) -> [String] {
        var keys: [String] = []
        func check(_ key: String, _ same: Bool) { if !same { keys.append(key) } }
        check("listen", listen == other.listen)
        check("admin", admin == other.admin)
        check("admin_auth", adminAuth == other.adminAuth)
        check("admin_tls", adminTLS == other.adminTLS)
        check("hub_id", hubID == other.hubID)
        check("tls", tls == other.tls)
        check("store", store == other.store)
        check("limits", limits == other.limits)
        check("retention", retention == other.retention)
        check("evaluation_interval", evaluationInterval == other.evaluationInterval)
        check("judge", judge == other.judge)
        check("autoscale", autoscale == other.autoscale)
        check("breaker", breaker == other.breaker)
        check("alerts", alerts == other.alerts)
        check("authorization", authorization == other.authorization)
        return keys
    }
}

extension AuthorizationPolicy {
    /// One line: the default and each rule, for logs and status.
    public var summary: String {
        let rules = rules.map { "\($0.match) → [\($0.services)]" }
        return "default \(fallback.rawValue)" + (rules.isEmpty ? "" : "; " + rules.joined(separator: "; "))
    }
}
