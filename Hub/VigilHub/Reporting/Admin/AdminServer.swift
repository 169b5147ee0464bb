import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import VigilConfiguration

/// The admin HTTP API (DESIGN §6) on Hummingbird: `GET /healthz` and `/readyz` (probes, open without a
/// token), `/v1/status`, `/v1/agents`, `/v1/alerts`, `/metrics`, and
/// with a decision engine `/v1/versions` and `/v1/recommendations` (AdminServer+Decisions).
/// Binds to the configured admin address, loopback by default. Read-only: nothing here changes
/// what is stored.
///
/// Invariants: a bad query parameter answers 400 with `{"error", "parameter"}`; a store failure
/// answers 503 with `{"error"}`; bodies are JSON with sorted keys (metrics: Prometheus text).
public struct AdminServer: Service {
    private let application: Application<RouterResponder<AdminRequestContext>>

    /// Creates the server; `onBound` is called with the bound address once it listens. `recommendations` gives
    /// what `/v1/recommendations` shows (default: `decisions`' last evaluation; a replica that does not lead
    /// shows the leader's). `auth` and `tls` are `admin_auth` and `admin_tls`; throws when their files do
    /// not load.
    public init(
        address: HostPort,
        auth: HubConfiguration.AdminAuth? = nil,
        tls: HubConfiguration.AdminTLS? = nil,
        reporter: HubReporter,
        decisions: DecisionEngine? = nil,
        recommendations: (@Sendable () async -> RecommendationsReport)? = nil,
        onBound: @escaping @Sendable (HostPort) async -> Void = { _ in },
        logger: Logger = Logger(label: "vigil.hub.admin")
    ) throws {
        let access = try AdminAccess(auth: auth, logger: logger)
        if auth != nil, tls == nil, !address.isLoopback {
            logger.warning(
                """
                the admin address is reachable from other hosts over plain HTTP: tokens and the sign-in cookie \
                cross the network unencrypted; set admin_tls, or terminate TLS in front of it
                """,
                metadata: ["admin": "\(address)"])
        }
        let router = Router(context: AdminRequestContext.self)
        router.add(middleware: SecurityHeadersMiddleware(logger: logger))
        router.add(middleware: AdminErrorMiddleware())
        router.add(middleware: AdminAuthMiddleware(access: access))
        Self.addSignInRoutes(to: router, access: access, secure: tls != nil)
        // Probes: alive while the server answers; ready while a commit could succeed (ReadinessReport).
        router.get("/healthz") { request, _ -> Response in
            try Self.checkNoParameters(request)
            return try Self.json(["status": "alive"])
        }
        router.get("/readyz") { request, context -> Response in
            try Self.checkNoParameters(request)
            let report = await reporter.readiness(detailed: !access.required || context.principal != nil)
            return try Self.json(report, status: report.ready ? .ok : .serviceUnavailable)
        }
        router.get("/v1/status") { request, _ -> Response in
            try Self.checkNoParameters(request)
            return try Self.json(try await reporter.status())
        }
        router.get("/v1/agents") { request, _ -> Response in
            let pairs = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
            return try Self.json(try await reporter.agents(try AgentsFilter(parameters: pairs)))
        }
        router.get("/v1/alerts") { request, _ -> Response in
            let pairs = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
            return try Self.json(await reporter.alerts(try AlertsFilter(parameters: pairs)))
        }
        router.get("/metrics") { request, _ -> Response in
            try Self.checkNoParameters(request)
            let text = try await reporter.metrics()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        // What the dashboard and the decision routes both show: the recommendations and the series.
        let recommendationsSource =
            recommendations ?? {
                await decisions?.recommendations
                    ?? RecommendationsReport(
                        evaluatedAt: nil, evaluations: 0, evaluationSeconds: nil, recommendations: [])
            }
        let series = decisions.map { engine in
            SeriesReader(
                store: engine.rollupStore, agents: { () async throws(StoreError) in try await reporter.store.agents() })
        }
        Self.addDashboardRoutes(
            to: router,
            dashboard: Dashboard(
                reporter: reporter, engine: decisions, series: series, recommendations: recommendationsSource))
        if let decisions, let series {
            Self.addDecisionRoutes(
                to: router, engine: decisions, recommendations: recommendationsSource, now: reporter.now, series: series
            )
        }
        let server: HTTPServerBuilder =
            if let tls {
                try .tls(.http1(), tlsConfiguration: Self.tlsConfiguration(tls, clientCA: auth?.clientCA))
            } else {
                .http1()
            }
        application = Application(
            router: router, server: server,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "vigil-hub"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? address.port
                await onBound(HostPort(host: channel.localAddress?.ipAddress ?? address.host, port: port))
            },
            logger: logger
        )
    }

    /// Serves until graceful shutdown.
    public func run() async throws {
        try await application.run()
    }

    /// Loads `admin_auth`'s tokens file and CA and `admin_tls`' certificate and key as the hub would at start
    /// (for `check-config`); throws the first that does not load, naming it.
    public static func checkFiles(auth: HubConfiguration.AdminAuth?, tls: HubConfiguration.AdminTLS?) throws {
        if let path = auth?.tokensFile { _ = try AdminAccess.load(path) }
        if let tls {
            do {
                _ = try tlsConfiguration(tls, clientCA: auth?.clientCA)
            } catch {
                throw AdminFileError(
                    description: "admin_tls (\(tls.cert), \(tls.key))"
                        + (auth?.clientCA.map { " or admin_auth.client_ca (\($0))" } ?? "") + " does not load: \(error)"
                )
            }
        }
    }

    /// HTTPS with `admin_tls`; with a client CA, a client certificate is asked for and, when sent, must chain
    /// to it (a browser without one still gets the sign-in form).
    static func tlsConfiguration(_ tls: HubConfiguration.AdminTLS, clientCA: String?) throws -> TLSConfiguration {
        var configuration = try ServerTLS.serverConfiguration(cert: tls.cert, key: tls.key)
        configuration.minimumTLSVersion = .tlsv12
        if let clientCA {
            configuration.certificateVerification = .optionalVerification
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(clientCA))
        }
        return configuration
    }

    static func checkNoParameters(_ request: Request) throws(AdminErrorBody) {
        if let first = request.uri.queryParameters.first {
            let name = String(first.key.prefix(64))
            throw AdminErrorBody(
                error: "unknown parameter \"\(name)\"; \(request.uri.path) takes none", parameter: name)
        }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns parameter errors into 400 and store errors into 503, both as JSON bodies.
struct AdminErrorMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as AdminErrorBody {
            return try AdminServer.json(error, status: .badRequest)
        } catch let error as StoreError {
            return try AdminServer.json(AdminErrorBody(error: "\(error)"), status: .serviceUnavailable)
        }
    }
}
