import Foundation
import VigilAnalytics

// SVGChart: the dashboard's charts as inline SVG, drawn on the server (no script, no external assets).
//
// - A line chart has a time axis over the span asked for, a value axis from 0 (or the lowest value, when it is
//   negative) to a rounded maximum with the unit, and a legend. Each line is a `<g class="line">` whose
//   polylines together hold exactly one vertex per point of the series; a gap longer than twice the step breaks
//   the line instead of drawing across missing data. Lines differ in colour and in dash pattern (CSS classes
//   s0…s7), and the legend names each, so colour never carries the meaning alone.
// - Share bars show each part's percentage as text beside its bar.

/// Line charts and share bars as SVG markup.
enum SVGChart {
    /// One line of a chart.
    struct Line: Sendable {
        var label: String
        /// (Unix seconds, value), oldest first.
        var points: [(Int64, Double)]
    }

    static let width = 640.0
    static let height = 220.0
    static let left = 64.0
    static let right = 12.0
    static let top = 12.0
    static let bottom = 28.0

    /// A line chart titled `title`, values in `unit`, over `from...to` (Unix seconds), points `step` seconds
    /// apart.
    static func lines(
        id: String, title: String, unit: String, lines: [Line], from: Int64, to: Int64, step: Int64
    ) -> String {
        let values = lines.flatMap { $0.points.map(\.1) }
        let low = min(0, values.min() ?? 0)
        let high = niceCeiling(max(values.max() ?? 0, low + (unit == "ratio" ? 0.01 : 1)) - low) + low
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let span = Double(max(1, to - from))
        func x(_ t: Int64) -> Double { left + plotWidth * min(1, max(0, Double(t - from) / span)) }
        func y(_ v: Double) -> Double { top + plotHeight * (1 - (v - low) / (high - low)) }

        var svg = "<figure class=\"chart\" id=\"\(id)\" data-lines=\"\(lines.count)\">"
        svg += "<figcaption>\(HTML.escape(title)) <span class=\"unit\">(\(HTML.escape(unitName(unit))))</span>"
        svg += "</figcaption>"
        svg += "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(HTML.escape(title))\">"
        for tick in 0...4 {
            let value = low + (high - low) * Double(tick) / 4
            let ty = format(y(value))
            svg +=
                "<line class=\"grid\" x1=\"\(format(left))\" x2=\"\(format(width - right))\" y1=\"\(ty)\" y2=\"\(ty)\"/>"
            svg += "<text class=\"tick\" x=\"\(format(left - 6))\" y=\"\(ty)\" text-anchor=\"end\" "
            svg += "dominant-baseline=\"middle\">\(HTML.escape(axisValue(value, unit: unit)))</text>"
        }
        for tick in 0...4 {
            let t = from + Int64(Double(to - from) * Double(tick) / 4)
            let anchor = tick == 0 ? "start" : tick == 4 ? "end" : "middle"
            svg += "<text class=\"tick\" x=\"\(format(x(t)))\" y=\"\(format(height - 8))\" text-anchor=\"\(anchor)\">"
            svg += "\(axisTime(t, span: to - from))</text>"
        }
        svg += "<line class=\"axis\" x1=\"\(format(left))\" x2=\"\(format(left))\" y1=\"\(format(top))\" "
        svg += "y2=\"\(format(height - bottom))\"/>"
        svg += "<line class=\"axis\" x1=\"\(format(left))\" x2=\"\(format(width - right))\" "
        svg += "y1=\"\(format(height - bottom))\" y2=\"\(format(height - bottom))\"/>"
        for (index, line) in lines.enumerated() {
            svg += "<g class=\"line s\(index % 8)\" data-label=\"\(HTML.escape(line.label))\" "
            svg += "data-points=\"\(line.points.count)\"><title>\(HTML.escape(line.label))</title>"
            for segment in segments(line.points, step: step) {
                let coordinates = segment.map { "\(format(x($0.0))),\(format(y($0.1)))" }.joined(separator: " ")
                svg += "<polyline points=\"\(coordinates)\"/>"
                if segment.count == 1, let only = segment.first {
                    svg += "<circle cx=\"\(format(x(only.0)))\" cy=\"\(format(y(only.1)))\" r=\"2.5\"/>"
                }
            }
            svg += "</g>"
        }
        if lines.isEmpty {
            svg += "<text class=\"nodata\" x=\"\(format(width / 2))\" y=\"\(format(height / 2))\" "
            svg += "text-anchor=\"middle\">no data in this range</text>"
        }
        svg += "</svg><ul class=\"legend\">"
        for (index, line) in lines.enumerated() {
            svg +=
                "<li><svg class=\"swatch\" viewBox=\"0 0 24 8\" aria-hidden=\"true\"><g class=\"line s\(index % 8)\">"
            svg += "<polyline points=\"0,4 24,4\"/></g></svg>\(HTML.escape(line.label))</li>"
        }
        return svg + "</ul></figure>"
    }

    /// Horizontal bars of each part's share (0…1), the percentage written beside each bar.
    static func shares(id: String, title: String, parts: [(label: String, share: Double)]) -> String {
        let shareWidth = 360.0
        let rowHeight = 22.0
        let labelWidth = 130.0
        let barWidth = shareWidth - labelWidth - 60
        let total = Double(parts.count) * rowHeight + 8
        var svg = "<figure class=\"chart shares\" id=\"\(id)\"><figcaption>\(HTML.escape(title))</figcaption>"
        svg +=
            "<svg viewBox=\"0 0 \(Int(shareWidth)) \(Int(total))\" role=\"img\" aria-label=\"\(HTML.escape(title))\">"
        for (index, part) in parts.enumerated() {
            let y = 4 + Double(index) * rowHeight
            let share = min(1, max(0, part.share))
            svg += "<g class=\"bar s\(index % 8)\" data-label=\"\(HTML.escape(part.label))\" "
            svg += "data-share=\"\(format(share * 100, digits: 1))\">"
            svg += "<text class=\"label\" x=\"\(format(labelWidth - 8))\" y=\"\(format(y + rowHeight / 2))\" "
            svg += "text-anchor=\"end\" dominant-baseline=\"middle\">\(HTML.escape(short(part.label, 18)))</text>"
            svg +=
                "<rect x=\"\(format(labelWidth))\" y=\"\(format(y + 4))\" width=\"\(format(max(1, barWidth * share)))\" "
            svg += "height=\"\(format(rowHeight - 8))\"/>"
            svg += "<text class=\"value\" x=\"\(format(labelWidth + barWidth * share + 6))\" "
            svg += "y=\"\(format(y + rowHeight / 2))\" dominant-baseline=\"middle\">"
            svg += "\(format(share * 100, digits: 1)) %</text></g>"
        }
        return svg + "</svg></figure>"
    }

    /// The points split where consecutive points are more than two steps apart.
    static func segments(_ points: [(Int64, Double)], step: Int64) -> [[(Int64, Double)]] {
        var out: [[(Int64, Double)]] = []
        for point in points {
            if let last = out.last?.last, point.0 - last.0 <= 2 * step {
                out[out.count - 1].append(point)
            } else {
                out.append([point])
            }
        }
        return out
    }

    /// The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `value` (> 0).
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let magnitude = pow(10, floor(log10(value)))
        for factor in [1.0, 2, 2.5, 5, 10] where factor * magnitude >= value * (1 - 1e-12) {
            return factor * magnitude
        }
        return 10 * magnitude
    }

    static func unitName(_ unit: String) -> String { unit == "ratio" ? "%" : unit }

    static func axisValue(_ value: Double, unit: String) -> String {
        if unit == "ratio" { return format(value * 100, digits: value * 100 < 10 ? 1 : 0) + " %" }
        if abs(value) >= 10_000 { return format(value / 1000, digits: 0) + "k" }
        return format(value, digits: abs(value) < 10 && value != value.rounded() ? 1 : 0)
    }

    static func axisTime(_ seconds: Int64, span: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(seconds))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.month, .day, .hour, .minute], from: date)
        func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "--" }
        if span > 2 * 86_400 { return "\(two(parts.month))-\(two(parts.day))" }
        if span > 86_400 { return "\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute))" }
        return "\(two(parts.hour)):\(two(parts.minute))"
    }

    static func short(_ text: String, _ length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length - 1)) + "…"
    }

    static func format(_ value: Double, digits: Int = 1) -> String { Format.fixed(value, digits: digits) }
}
