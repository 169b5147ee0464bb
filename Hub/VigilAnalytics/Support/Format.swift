// Format: how numbers appear in the reasons Vigil's recommendations give ("62.5 %", "ceil(5.14)", "60 s").
// Fixed rules so the text is stable and testable: a fixed number of decimals, trailing zeros kept unless
// the caller asks for trimming, "." as decimal separator whatever the locale.
import Foundation

/// Number formatting for recommendation reasons.
public enum Format {
    /// `value` with exactly `digits` decimals ("5.14").
    public static func fixed(_ value: Double, digits: Int) -> String {
        String(format: "%.\(digits)f", locale: Locale(identifier: "en_US_POSIX"), value)
    }

    /// `value` with at most `digits` decimals and no trailing zeros ("62.5", "50", "0.7").
    public static func trimmed(_ value: Double, digits: Int) -> String {
        var text = fixed(value, digits: digits)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    /// A ratio as a percentage with at most one decimal and a thin unit gap ("62.5 %", "50 %").
    public static func percent(_ ratio: Double) -> String {
        "\(trimmed(ratio * 100, digits: 1)) %"
    }

    /// A duration in seconds, at most three decimals ("60 s", "0.5 s").
    public static func seconds(_ duration: Duration) -> String {
        "\(trimmed(duration.secondsValue, digits: 3)) s"
    }
}
