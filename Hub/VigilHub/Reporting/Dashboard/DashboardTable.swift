import Foundation

/// A table of a dashboard page: rendered as HTML, and downloadable as CSV or JSON (`?table=ID&format=csv`) with
/// the same cells, so a report quotes exactly what the page shows.
struct DashboardTable: Sendable {
    /// One cell: the text shown (and written to CSV), and the number behind it when there is one (for JSON).
    struct Cell: Sendable, ExpressibleByStringLiteral {
        var text: String
        var number: Double?
        /// A CSS class for the cell (a verdict's word, a state), never the only carrier of its meaning.
        var style: String?

        init(_ text: String, number: Double? = nil, style: String? = nil) {
            self.text = text
            self.number = number
            self.style = style
        }

        init(stringLiteral text: String) { self.init(text) }
    }

    /// The table's id in the page and in download links (`[a-z-]+`).
    var id: String
    var title: String
    var columns: [String]
    var rows: [[Cell]]
    /// Shown instead of an empty table.
    var empty: String = "none"

    /// The table as HTML with download links to `base` (the page's URL with its query, without table/format).
    func html(downloadBase base: String) -> String {
        let separator = base.contains("?") ? "&amp;" : "?"
        var out = "<section class=\"table\" id=\"\(id)\"><h3>\(HTML.escape(title))"
        out += " <span class=\"downloads\"><a href=\"\(base)\(separator)table=\(id)&amp;format=csv\">CSV</a>"
        out += " <a href=\"\(base)\(separator)table=\(id)&amp;format=json\">JSON</a></span></h3>"
        guard !rows.isEmpty else { return out + "<p class=\"empty\">\(HTML.escape(empty))</p></section>" }
        out += "<div class=\"scroll\"><table data-table=\"\(id)\"><thead><tr>"
        for column in columns { out += "<th scope=\"col\">\(HTML.escape(column))</th>" }
        out += "</tr></thead><tbody>"
        for row in rows {
            out += "<tr>"
            for cell in row {
                let classes = [cell.number == nil ? nil : "num", cell.style].compactMap { $0 }
                let attribute = classes.isEmpty ? "" : " class=\"\(classes.joined(separator: " "))\""
                out += "<td\(attribute)>\(HTML.escape(cell.text))</td>"
            }
            out += "</tr>"
        }
        return out + "</tbody></table></div></section>"
    }

    /// RFC 4180 CSV: a header row, then the cells as shown.
    func csv() -> String {
        var lines = [columns.map(Self.csvField).joined(separator: ",")]
        for row in rows { lines.append(row.map { Self.csvField($0.text) }.joined(separator: ",")) }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// JSON: `{"table", "title", "columns", "rows": [{column: number or text}]}`.
    func json() throws -> Data {
        var objects: [[String: JSONCell]] = []
        for row in rows {
            var object: [String: JSONCell] = [:]
            for (column, cell) in zip(columns, row) {
                object[column] = cell.number.map(JSONCell.number) ?? .text(cell.text)
            }
            objects.append(object)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(Body(table: id, title: title, columns: columns, rows: objects))
    }

    struct Body: Encodable {
        var table: String
        var title: String
        var columns: [String]
        var rows: [[String: JSONCell]]
    }

    enum JSONCell: Encodable {
        case number(Double)
        case text(String)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .number(let value) where value.isFinite: try container.encode(value)
            case .number: try container.encodeNil()
            case .text(let text): try container.encode(text)
            }
        }
    }

    /// A CSV field, quoted when it holds a comma, quote or line break; a leading `=`, `+`, `-`, `@`, tab or CR is prefixed
    /// with `'` so a spreadsheet does not run agent-supplied text as a formula.
    static func csvField(_ text: String) -> String {
        // Scalar by scalar: "\r\n" and a quote or comma followed by a combining mark are single Characters.
        var field = text
        if let first = field.unicodeScalars.first, "=+-@\t\r\n".unicodeScalars.contains(first), Double(field) == nil {
            field = "'" + field
        }
        guard field.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
            return field
        }
        var quoted = String.UnicodeScalarView()
        for scalar in field.unicodeScalars {
            if scalar == "\"" { quoted.append("\"") }
            quoted.append(scalar)
        }
        return "\"" + String(quoted) + "\""
    }
}
