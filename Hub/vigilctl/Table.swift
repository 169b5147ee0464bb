/// Renders rows as left-aligned columns separated by two spaces; numeric columns align right.
struct Table {
    var headers: [String]
    var rows: [[String]] = []
    /// Indexes of columns to align right.
    var rightAligned: Set<Int> = []

    func render() -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (index, cell) in cells.enumerated() {
                let pad = String(repeating: " ", count: max(0, widths[index] - cell.count))
                parts.append(rightAligned.contains(index) ? pad + cell : cell + pad)
            }
            while let last = parts.last, last.allSatisfy({ $0 == " " }) { parts.removeLast() }
            var text = parts.joined(separator: "  ")
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }
}
