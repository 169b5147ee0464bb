import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Fetches JSON from the hub's admin API. Every failure becomes one ``HubClientError`` line: the hub
/// is unreachable, answered non-2xx, or answered something that is not the expected JSON.
struct HubClient {
    /// The hub's base URL, e.g. `http://127.0.0.1:7480`.
    let base: URL
    /// How long to wait for an answer.
    var timeout: TimeInterval = 10
    /// The bearer token sent with every request, if any.
    var token: String?

    /// The base from `--hub`, else `VIGIL_HUB`, else the default admin address.
    static func resolve(_ flag: String?) throws(HubClientError) -> HubClient {
        let text = flag ?? ProcessInfo.processInfo.environment["VIGIL_HUB"] ?? "http://127.0.0.1:7480"
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
        else {
            throw HubClientError("not a hub URL: \"\(text)\"; expected e.g. http://127.0.0.1:7480")
        }
        return HubClient(base: url)
    }

    /// The token from `--token-file` (its first line), else `VIGIL_TOKEN`, else none.
    static func token(file: String?) throws(HubClientError) -> String? {
        guard let file else {
            let value = ProcessInfo.processInfo.environment["VIGIL_TOKEN"]?.trimmingCharacters(in: .whitespaces)
            return value?.isEmpty == false ? value : nil
        }
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw HubClientError("cannot read --token-file \(file): \(error.localizedDescription)")
        }
        let line = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) }
        guard let line, !line.isEmpty else { throw HubClientError("--token-file \(file) is empty") }
        return line
    }

    /// GETs `path` (with `query`) and returns the body of a 2xx answer.
    func get(_ path: String, query: [URLQueryItem] = []) async throws(HubClientError) -> Data {
        var components = URLComponents(url: base, resolvingAgainstBaseURL: false)!
        components.path = (components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path) + path
        if !query.isEmpty { components.queryItems = query }
        guard let url = components.url else { throw HubClientError("cannot build a URL for \(path)") }
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw HubClientError("cannot reach the hub at \(base.absoluteString): \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else {
            throw HubClientError("the hub at \(base.absoluteString) did not answer over HTTP")
        }
        guard (200..<300).contains(http.statusCode) else {
            let detail = (try? JSONDecoder().decode(ErrorBody.self, from: data)).map { ": \($0.error)" } ?? ""
            let hint =
                http.statusCode == 401
                ? token == nil ? " (pass --token-file FILE or set VIGIL_TOKEN)" : " (check the token)" : ""
            throw HubClientError("the hub answered \(http.statusCode) for \(path)\(detail)\(hint)")
        }
        return data
    }

    /// GETs `path` and decodes the JSON body as `T`.
    func get<T: Decodable>(
        _ path: String, as type: T.Type, query: [URLQueryItem] = []
    ) async throws(HubClientError)
        -> (T, Data)
    {
        let data = try await get(path, query: query)
        do {
            return (try JSONDecoder().decode(T.self, from: data), data)
        } catch {
            throw HubClientError("the hub's answer to \(path) is not the expected JSON")
        }
    }

    private struct ErrorBody: Decodable {
        var error: String
    }
}

/// Why `vigilctl` could not get an answer; printed as one line on standard error.
struct HubClientError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
