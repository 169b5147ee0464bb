/// Human-readable figures for tables.
enum Format {
    /// `2d 3h`, `4m 5s`, `1.2s`: the two largest units.
    static func duration(seconds: Double) -> String {
        if !seconds.isFinite || seconds < 0 { return "-" }
        if seconds < 10 { return "\((seconds * 10).rounded() / 10)s" }
        let total = Int(seconds.rounded())
        let units = [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]
        var parts: [String] = []
        var rest = total
        for (name, size) in units where rest >= size || (!parts.isEmpty && parts.count < 2) {
            if parts.count == 2 { break }
            parts.append("\(rest / size)\(name)")
            rest %= size
        }
        return parts.joined(separator: " ")
    }
}
