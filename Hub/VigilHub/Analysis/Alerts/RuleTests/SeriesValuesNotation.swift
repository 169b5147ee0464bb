/// promtool's expanding notation for input series, one token per sample, separated by spaces. Pure.
///
/// - `1.5` one value; `_` one missing sample (the series is absent at that step);
/// - `a+bxn` the n+1 values a, a+b, …, a+n·b; `a-bxn` likewise downwards; `axn` n+1 copies of a;
/// - `_xn` n missing samples.
public enum SeriesValuesNotation {
    /// The samples `text` expands to (`nil` = missing), or a message naming the bad token.
    public static func parse(_ text: String, maxSamples: Int = 1_000_000) -> Result<[Double?], ParseFailure> {
        var out: [Double?] = []
        for token in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            guard let samples = expand(String(token)) else {
                return .failure(ParseFailure(message: "cannot read \"\(token)\"; write e.g. 1, 0.5, _, 1+1x5 or 0x10"))
            }
            out += samples
            if out.count > maxSamples {
                return .failure(ParseFailure(message: "more than \(maxSamples) samples"))
            }
        }
        return .success(out)
    }

    /// Why a values text could not be read.
    public struct ParseFailure: Error, Sendable, Hashable {
        /// What was wrong.
        public var message: String
    }

    static func expand(_ token: String) -> [Double?]? {
        if token == "_" { return [nil] }
        guard let x = token.lastIndex(of: "x") else { return number(token).map { [$0] } }
        guard let count = Int(token[token.index(after: x)...]), count >= 0, count <= 1_000_000 else { return nil }
        let start = String(token[..<x])
        if start == "_" { return Array(repeating: nil, count: count) }
        if let a = number(start) { return Array(repeating: a, count: count + 1) }
        // Split "a+b" / "a-b" at the last sign that is not the first character or an exponent's.
        let characters = Array(start)
        guard
            let sign = characters.indices.last(where: { i in
                i > 0 && (characters[i] == "+" || characters[i] == "-") && characters[i - 1] != "e"
                    && characters[i - 1] != "E"
            }), let a = number(String(characters[..<sign])), let b = number(String(characters[(sign + 1)...]))
        else { return nil }
        let step = characters[sign] == "+" ? b : -b
        return (0...count).map { a + Double($0) * step }
    }

    static func number(_ text: String) -> Double? {
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }
}
