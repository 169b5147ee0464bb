// DashboardPage: the frame every dashboard page shares — header, service picker, time-range picker, the live
// status — around the page's blocks. The blocks alone are the page's fragment (`?fragment=1`), which the
// page's script fetches every 2 s and swaps in, so the live page and a reload show the same thing.

/// The time ranges the picker offers.
enum DashboardRange: String, Sendable, CaseIterable {
    case fifteenMinutes = "15m"
    case hour = "1h"
    case sixHours = "6h"
    case day = "24h"
    case week = "7d"
    case month = "30d"

    var seconds: Int64 {
        switch self {
        case .fifteenMinutes: 900
        case .hour: 3600
        case .sixHours: 6 * 3600
        case .day: 86_400
        case .week: 7 * 86_400
        case .month: 30 * 86_400
        }
    }

    /// The step the charts ask for: about 60 to 360 points a line.
    var step: String {
        switch self {
        case .fifteenMinutes, .hour: "1m"
        case .sixHours: "1m"
        case .day: "5m"
        case .week: "1h"
        case .month: "2h"
        }
    }
}

/// One part of a page.
enum DashboardBlock: Sendable {
    case html(String)
    case table(DashboardTable)
}

/// A page: its title, where it is, and its blocks.
struct DashboardPage: Sendable {
    var title: String
    /// The path without query (`/`, `/services/cart`, `/decisions`).
    var path: String
    var range: DashboardRange
    var services: [String]
    var blocks: [DashboardBlock]
    /// Who is signed in, shown with a sign-out button (nil when the admin address is open).
    var signedIn: AdminPrincipal?

    /// The path with the service name percent-encoded, HTML-escaped.
    var href: String {
        let prefix = "/services/"
        guard path.hasPrefix(prefix) else { return HTML.escape(path) }
        return prefix + HTML.component(String(path.dropFirst(prefix.count)))
    }

    /// The page's URL with its range, HTML-escaped, for links and downloads.
    var base: String { "\(href)?range=\(range.rawValue)" }

    /// The blocks alone, what the live refresh swaps in.
    func fragment() -> String {
        blocks.map { block in
            switch block {
            case .html(let html): html
            case .table(let table): table.html(downloadBase: base)
            }
        }
        .joined()
    }

    /// The whole document.
    func document() -> String {
        var nav = "<a href=\"/?range=\(range.rawValue)\"\(path == "/" ? " aria-current=\"page\"" : "")>Fleet</a>"
        for service in services {
            let href = "/services/\(HTML.component(service))"
            let current = path == "/services/\(service)" ? " aria-current=\"page\"" : ""
            nav += "<a href=\"\(href)?range=\(range.rawValue)\"\(current)>\(HTML.escape(service))</a>"
        }
        nav += "<a href=\"/decisions?range=\(range.rawValue)\"\(path == "/decisions" ? " aria-current=\"page\"" : "")>"
        nav += "Recommendations &amp; alerts</a>"
        var ranges = ""
        for option in DashboardRange.allCases {
            let current = option == range ? " aria-current=\"true\"" : ""
            ranges += "<a href=\"\(href)?range=\(option.rawValue)\"\(current)>\(option.rawValue)</a>"
        }
        var user = ""
        if let signedIn {
            user =
                "<form class=\"user\" method=\"post\" action=\"/signout\"><span>\(HTML.escape(signedIn.name)) "
                + "(\(signedIn.role.rawValue))</span> <button type=\"submit\">Sign out</button></form>"
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title)) · Vigil</title>
            <link rel="stylesheet" href="/assets/dashboard.css">
            <script src="/assets/dashboard.js" defer></script>
            </head><body>
            <header><span class="brand">Vigil</span><nav class="pages" aria-label="Pages">\(nav)</nav>
            <nav class="ranges" aria-label="Time range">\(ranges)</nav>
            <span id="live-status" class="live" role="status">loaded</span>\(user)</header>
            <main><h1>\(HTML.escape(title))</h1><div id="live" data-refresh-ms="1000">\(fragment())</div></main>
            </body></html>
            """
    }
}
