/// The CPU lines of one read of `/proc/stat`: the aggregate `cpu` line and each online `cpuN` line.
///
/// Only lines starting with `cpu` are read; a line with fewer than four counters, a non-number, or a
/// malformed CPU number is skipped. The other lines (`intr`, `ctxt`, …) are passed over unparsed.
public struct ProcStat: Sendable, Equatable {
    /// The aggregate `cpu` line (all CPUs, including ones that went offline), if it was present.
    public var aggregate: CPUTimes?
    /// The `cpuN` lines by CPU number. Offline CPUs have no line.
    public var perCPU: [Int: CPUTimes]

    /// Creates a snapshot from parts.
    public init(aggregate: CPUTimes?, perCPU: [Int: CPUTimes] = [:]) {
        self.aggregate = aggregate
        self.perCPU = perCPU
    }

    /// Parses the text of `/proc/stat`.
    public static func parse(_ text: String) -> ProcStat {
        parse(ArraySlice(text.utf8))
    }

    /// Parses the bytes of `/proc/stat`.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> ProcStat {
        var result = ProcStat(aggregate: nil)
        var lines = ProcTextScanner(bytes)
        while let line = lines.nextLine() {
            guard ProcNumber.hasPrefix(line, "cpu") else { continue }
            var fields = ProcFields(line)
            guard let label = fields.next(), let times = parseCounters(&fields) else { continue }
            if label.count == 3 {
                result.aggregate = times
            } else if let number = ProcNumber.decimal(label.dropFirst(3)), number < 1 << 20 {
                result.perCPU[Int(number)] = times
            }
        }
        return result
    }

    private static func parseCounters(_ fields: inout ProcFields) -> CPUTimes? {
        // user nice system idle [iowait irq softirq steal [guest guest_nice]]
        var values: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        while count < 8, let field = fields.next() {
            guard let value = ProcNumber.decimal(field) else { return nil }
            switch count {
            case 0: values.0 = value
            case 1: values.1 = value
            case 2: values.2 = value
            case 3: values.3 = value
            case 4: values.4 = value
            case 5: values.5 = value
            case 6: values.6 = value
            default: values.7 = value
            }
            count += 1
        }
        guard count >= 4 else { return nil }
        return CPUTimes(
            user: values.0,
            nice: values.1,
            system: values.2,
            idle: values.3,
            iowait: values.4,
            irq: values.5,
            softirq: values.6,
            steal: values.7
        )
    }
}
