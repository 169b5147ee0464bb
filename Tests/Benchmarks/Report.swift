import Foundation

/// Prints benchmark figures as aligned rows.
enum Report {
    static func section(_ title: String) {
        print("\n== \(title)")
    }

    static func row(_ label: String, _ figure: CodecBenchmark.Figure, batchEvents: Int) {
        let events = Double(figure.batches * batchEvents) / figure.seconds
        let megabytes = Double(figure.bytes) / figure.seconds / 1_000_000
        print(
            "  \(label.padding(toLength: 30, withPad: " ", startingAt: 0))"
                + " \(format(events)) events/s  \(String(format: "%8.1f", megabytes)) MB/s"
        )
    }

    static func line(_ label: String, _ value: String) {
        print("  \(label.padding(toLength: 30, withPad: " ", startingAt: 0)) \(value)")
    }

    static func format(_ value: Double) -> String {
        String(format: "%12.0f", value)
    }
}
