import Foundation
import Testing

@testable import VigilHub

/// The dashboard's pure pieces: escaping of agent text in tables, charts and links, the CSV and JSON downloads,
/// and the page query's validation.
@Suite("Dashboard rendering")
struct DashboardRenderingTests {
    static let hostile = "<script>alert(1)</script>\"'&"

    @Test("agent text is escaped in table cells, titles, chart labels and links")
    func escaping() {
        let table = DashboardTable(
            id: "versions", title: "Versions of \(Self.hostile)", columns: ["version", "n"],
            rows: [[.init(Self.hostile), .init("3", number: 3)]])
        let html = table.html(downloadBase: "/services/x?range=1h")
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"))
        let chart = SVGChart.shares(id: "share-events", title: "t", parts: [(Self.hostile, 0.5)])
        #expect(!chart.contains("<script>"))
        #expect(chart.contains("data-label=\"&lt;script&gt;"))
        let page = DashboardPage(
            title: Self.hostile, path: "/services/\(Self.hostile) a?b", range: .hour, services: [Self.hostile],
            blocks: [])
        let document = page.document()
        #expect(!document.contains("<script>alert"))
        #expect(document.contains("href=\"/services/%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22%27%26?range=1h\""))
        // A quote or bracket with a combining mark after it is one Character but still two scalars to escape.
        let combined = HTML.escape("1.5.0\"\u{338} hidden x=\"<\u{338}")
        #expect(!combined.unicodeScalars.contains("\"") && !combined.unicodeScalars.contains("<"))
        #expect(page.base == "/services/%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22%27%26%20a%3Fb?range=1h")
    }

    @Test("CSV: RFC 4180 quoting, and agent text that a spreadsheet would run as a formula is defused")
    func csv() {
        let table = DashboardTable(
            id: "t", title: "t", columns: ["a", "b"],
            rows: [
                [.init("plain"), .init("has,comma")], [.init("say \"hi\""), .init("two\nlines")],
                [.init("=HYPERLINK(\"x\")"), .init("-1.5", number: -1.5)], [.init("@SUM(A1)"), .init("\tcmd")],
            ])
        #expect(
            table.csv()
                == "a,b\r\nplain,\"has,comma\"\r\n\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
                + "\"'=HYPERLINK(\"\"x\"\")\",-1.5\r\n'@SUM(A1),'\tcmd\r\n")
    }

    @Test("CSV: a CRLF, or a quote or comma with a combining mark, is still quoted")
    func csvScalars() {
        #expect(DashboardTable.csvField("a\r\nb") == "\"a\r\nb\"")
        #expect(DashboardTable.csvField("a,\u{338}b") == "\"a,\u{338}b\"")
        #expect(DashboardTable.csvField("\"\u{338}") == "\"\"\"\u{338}\"")
        #expect(DashboardTable.csvField("\r\n=1+1") == "\"'\r\n=1+1\"")
    }

    @Test("JSON: numbers as numbers, text as text, non-finite as null")
    func json() throws {
        let table = DashboardTable(
            id: "t", title: "T", columns: ["v", "n", "x"],
            rows: [[.init("1.4.0"), .init("3", number: 3), .init("–", number: .nan)]])
        let text = String(decoding: try table.json(), as: UTF8.self)
        #expect(
            text == #"{"columns":["v","n","x"],"rows":[{"n":3,"v":"1.4.0","x":null}],"table":"t","title":"T"}"#)
    }

    @Test("page parameters: each bad one is a 400 naming it")
    func query() throws {
        let cases: [([(String, String)], String)] = [
            ([("range", "2h")], "range"), ([("fragment", "yes")], "fragment"), ([("table", "a b")], "table"),
            ([("format", "xml"), ("table", "t")], "format"), ([("format", "csv")], "table"), ([("zoom", "1")], "zoom"),
        ]
        for (parameters, name) in cases {
            #expect(throws: AdminErrorBody.self, "\(parameters)") {
                try DashboardQuery(parameters: parameters)
            }
            do {
                _ = try DashboardQuery(parameters: parameters)
            } catch {
                #expect(error.parameter == name, "\(parameters)")
            }
        }
        let good = try DashboardQuery(parameters: [("range", "7d"), ("table", "agents"), ("format", "json")])
        #expect(good.range == .week && good.table == "agents" && good.format == .json)
    }
}
