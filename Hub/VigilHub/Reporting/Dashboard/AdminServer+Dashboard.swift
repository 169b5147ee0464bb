import Foundation
import Hummingbird
import NIOCore
import VigilAnalytics

// The dashboard's routes on the admin address: `/` (fleet), `/services/{service}`, `/decisions`, and the two
// assets. Each page takes `range` (15m, 1h, 6h, 24h, 7d, 30d; default 1h), `fragment=1` (the live part only),
// and `table=ID&format=csv|json` (one table as a download). Anything else is a 400 that names the parameter.

extension AdminServer {
    static func addDashboardRoutes(to router: Router<AdminRequestContext>, dashboard: Dashboard) {
        router.get("/") { request, context -> Response in
            let query = try DashboardQuery(request)
            var page = try await dashboard.fleet(range: query.range, now: dashboard.reporter.now())
            page.signedIn = context.principal
            return try await query.respond(page)
        }
        router.get("/decisions") { request, context -> Response in
            let query = try DashboardQuery(request)
            var page = try await dashboard.decisions(range: query.range, now: dashboard.reporter.now())
            page.signedIn = context.principal
            return try await query.respond(page)
        }
        router.get("/services/**") { request, context -> Response in
            let query = try DashboardQuery(request)
            let encoded = String(request.uri.path.dropFirst("/services/".count))
            guard let service = encoded.removingPercentEncoding, !service.isEmpty, service.utf8.count <= 256 else {
                throw AdminErrorBody(error: "the service in the path must be 1 to 256 bytes", parameter: "service")
            }
            let now = dashboard.reporter.now()
            guard var page = try await dashboard.service(service, range: query.range, now: now) else {
                var missing = DashboardPage(
                    title: "Service \(service)", path: "/services/\(service)", range: query.range,
                    services: try await dashboard.services(now: now),
                    blocks: [
                        .html(
                            "<p class=\"empty\">No data for service “\(HTML.escape(service))” in the last "
                                + "\(query.range.rawValue). Services report through their agents' service label.</p>")
                    ])
                missing.signedIn = context.principal
                return try await query.respond(missing, status: .notFound)
            }
            page.signedIn = context.principal
            return try await query.respond(page)
        }
        router.get("/assets/dashboard.js") { _, _ -> Response in
            asset(DashboardAssets.script, type: "text/javascript; charset=utf-8")
        }
        router.get("/assets/dashboard.css") { _, _ -> Response in
            asset(DashboardAssets.stylesheet, type: "text/css; charset=utf-8")
        }
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// The query of a dashboard page. Pure.
struct DashboardQuery: Sendable {
    enum Format: String, Sendable {
        case html, csv, json
    }

    var range: DashboardRange = .hour
    var fragment = false
    var table: String?
    var format: Format = .html

    init(_ request: Request) throws(AdminErrorBody) {
        try self.init(parameters: request.uri.queryParameters.map { (String($0.key), String($0.value)) })
    }

    init(parameters: [(String, String)]) throws(AdminErrorBody) {
        for (key, value) in parameters {
            switch key {
            case "range":
                guard let parsed = DashboardRange(rawValue: value) else {
                    throw AdminErrorBody(
                        error:
                            "range must be one of \(DashboardRange.allCases.map(\.rawValue).joined(separator: ", ")); "
                            + "got \"\(value.prefix(64))\"",
                        parameter: key)
                }
                range = parsed
            case "fragment":
                guard value == "1" else { throw AdminErrorBody(error: "fragment must be 1", parameter: key) }
                fragment = true
            case "table":
                guard !value.isEmpty, value.count <= 64,
                    value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
                else {
                    throw AdminErrorBody(error: "table must be a table id such as agents", parameter: key)
                }
                table = value
            case "format":
                guard let parsed = Format(rawValue: value) else {
                    throw AdminErrorBody(error: "format must be html, csv or json", parameter: key)
                }
                format = parsed
            default:
                throw AdminErrorBody(
                    error: "unknown parameter \"\(key.prefix(64))\"; pages take range, fragment, table and format",
                    parameter: String(key.prefix(64)))
            }
        }
        if format != .html && table == nil {
            throw AdminErrorBody(error: "format=\(format.rawValue) needs table=ID (a table's id)", parameter: "table")
        }
    }

    /// The page as HTML, its fragment, or one table as CSV or JSON.
    func respond(_ page: DashboardPage, status: HTTPResponse.Status = .ok) async throws -> Response {
        if let table {
            let tables = page.blocks.compactMap { block -> DashboardTable? in
                if case .table(let table) = block { table } else { nil }
            }
            guard let found = tables.first(where: { $0.id == table }) else {
                throw AdminErrorBody(
                    error: "no table \"\(table)\" on this page; it has \(tables.map(\.id).joined(separator: ", "))",
                    parameter: "table")
            }
            let name = "\(found.id).\(format == .json ? "json" : "csv")"
            switch format {
            case .csv, .html:
                return Response(
                    status: .ok,
                    headers: [
                        .contentType: "text/csv; charset=utf-8",
                        .contentDisposition: "attachment; filename=\"\(name)\"",
                    ], body: .init(byteBuffer: ByteBuffer(string: found.csv())))
            case .json:
                return Response(
                    status: .ok,
                    headers: [
                        .contentType: "application/json; charset=utf-8",
                        .contentDisposition: "attachment; filename=\"\(name)\"",
                    ], body: .init(byteBuffer: ByteBuffer(bytes: try found.json())))
            }
        }
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: fragment ? page.fragment() : page.document())))
    }
}
