extension AgentConfiguration {
    /// A non-empty path without NUL bytes.
    static func filePath(_ node: ConfigurationNode) throws(ConfigurationError) -> String {
        let path = try node.scalar(expected: "a file path")
        guard !path.isEmpty, !path.utf8.contains(0), path.utf8.count <= 4096 else {
            throw node.invalid(expected: "a file path")
        }
        return path
    }

    /// A size in bytes (`65536`, `64KiB`, `1MiB`, `1GiB`) within `range`.
    static func size(_ node: ConfigurationNode, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let expected =
            range.upperBound == Int.max
            ? "a size in bytes of at least \(renderSize(range.lowerBound))"
            : "a size in bytes from \(renderSize(range.lowerBound)) to \(renderSize(range.upperBound))"
        let value = try node.value(expected: expected, ConfigurationValue.size)
        guard range.contains(value) else { throw node.invalid(expected: expected) }
        return value
    }

    /// A whole number within `range`.
    static func integer(_ node: ConfigurationNode, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let expected = "a whole number from \(range.lowerBound) to \(range.upperBound)"
        let value = try node.value(expected: expected, ConfigurationValue.integer)
        guard range.contains(value) else { throw node.invalid(expected: expected) }
        return value
    }

    /// A duration such as `500ms`, `10s`, `5m`, `4h`, `90d` of at least `minimum`.
    static func duration(
        _ node: ConfigurationNode, atLeast minimum: Duration
    ) throws(ConfigurationError)
        -> Duration
    {
        let value = try node.value(
            expected: "a duration such as 500ms, 10s, 5m, 4h or 90d",
            ConfigurationValue.duration
        )
        guard value >= minimum else {
            throw node.invalid(expected: "a duration of at least \(ConfigurationValue.render(minimum))")
        }
        return value
    }

    /// One of the raw values of `Choice`, listed in the error otherwise.
    static func choice<Choice: RawRepresentable & CaseIterable>(
        _ node: ConfigurationNode
    ) throws(ConfigurationError)
        -> Choice where Choice.RawValue == String
    {
        let names = Choice.allCases.map(\.rawValue)
        let expected = names.count == 2 ? "\(names[0]) or \(names[1])" : "one of " + names.joined(separator: ", ")
        return try node.value(expected: expected, Choice.init(rawValue:))
    }

    /// The elements of a list converted by `element`, refusing duplicates.
    static func uniqueList<Element: Hashable>(
        _ node: ConfigurationNode,
        expected: String,
        _ element: (ConfigurationNode) throws(ConfigurationError) -> Element
    ) throws(ConfigurationError) -> [Element] {
        var result: [Element] = []
        var seen: Set<Element> = []
        for child in try node.sequence(expected: expected) {
            let value = try element(child)
            guard seen.insert(value).inserted else { throw child.invalid(reason: "duplicate entry") }
            result.append(value)
        }
        return result
    }

    private static func renderSize(_ bytes: Int) -> String {
        for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] where bytes % (1 << shift) == 0 {
            return "\(bytes >> shift)\(unit)"
        }
        return "\(bytes)"
    }
}
