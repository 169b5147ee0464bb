import Yams

/// One `--set key.path=value` from the command line (DESIGN §9: flags override the file), applied to the
/// file's YAML before it is validated, so a flag gets exactly the file's checks and error texts.
///
/// Invariants:
/// - **Same validation as the file.** The value is YAML (`--set sampling.interval=5s`,
///   `--set 'endpoints=["a:7443","b:7443"]'`), put at its key path in the composed document, and the
///   document is then validated as a whole; an error about that key names the flag, not the file.
/// - **A flag never half-applies.** A malformed argument, or a path through a key whose value is not a
///   mapping, is an error before anything runs.
public struct ConfigurationOverride: Sendable, Hashable, CustomStringConvertible {
    /// The dotted key path, e.g. `labels.service`.
    public let keyPath: String
    /// The value as written after `=`.
    public let valueText: String

    /// `--set labels.service=checkout`.
    public var description: String { "--set \(keyPath)=\(valueText)" }
    /// `--set labels.service`: how errors and `--effective` name the flag. Never the value: it may be a
    /// secret (`--set store.url=postgres://user:password@…`).
    public var flag: String { "--set \(keyPath)" }

    /// Why an argument is not an override, or cannot be applied.
    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        /// The flag without its value (`--set a.b`), shortened.
        public let flag: String
        /// What is wrong with it.
        public let reason: String

        init(_ flag: String, _ reason: String) {
            self.flag = flag
            self.reason = reason
        }

        public var description: String { "\(flag): \(reason)" }
    }

    /// Parses every `key.path=value` of the command line, in order.
    public static func parse(_ arguments: [String]) throws(SyntaxError) -> [ConfigurationOverride] {
        try arguments.map { argument throws(SyntaxError) in try ConfigurationOverride(parsing: argument) }
    }

    /// Parses `key.path=value`.
    public init(parsing argument: String) throws(SyntaxError) {
        guard let equals = argument.firstIndex(of: "=") else {
            throw SyntaxError(
                "--set \(Self.shown(argument))", "expected key.path=value, e.g. --set labels.service=checkout")
        }
        let path = String(argument[..<equals])
        let named = "--set \(Self.shown(path))"
        let segments = path.split(separator: ".", omittingEmptySubsequences: false)
        guard !segments.isEmpty,
            segments.allSatisfy({ segment in
                !segment.isEmpty
                    && segment.utf8.allSatisfy {
                        $0 == UInt8(ascii: "_") || (97...122).contains($0) || (48...57).contains($0)
                    }
            })
        else {
            throw SyntaxError(
                named,
                "the key path must be keys of lowercase letters, digits and '_' joined by '.', e.g. sampling.interval")
        }
        keyPath = path
        valueText = String(argument[argument.index(after: equals)...])
    }

    /// Where YAML failed, without quoting the text (it may hold a secret).
    static func yamlProblem(_ error: any Error) -> String {
        if let yaml = error as? YamlError, case .scanner(_, let problem, let mark, _) = yaml {
            return "\(problem) at column \(mark.column)"
        }
        return "unreadable"
    }

    /// At most 60 characters of what the user typed.
    static func shown(_ text: String) -> String {
        text.count > 60 ? String(text.prefix(60)) + "…" : text
    }

    /// The value as a YAML node without source positions (an error about it names the flag, not a line).
    func valueNode() throws(SyntaxError) -> Node {
        let composed: Node?
        do {
            composed = try Yams.compose(yaml: valueText)
        } catch {
            throw SyntaxError(flag, "the value is not valid YAML (\(Self.yamlProblem(error)))")
        }
        return Self.unmarked(composed ?? Node.scalar(.init("")))
    }

    static func unmarked(_ node: Node) -> Node {
        switch node {
        case .scalar(let scalar): return .scalar(.init(scalar.string, scalar.tag, scalar.style))
        case .sequence(let sequence):
            return .sequence(.init(sequence.map(unmarked), sequence.tag, sequence.style))
        case .mapping(let mapping):
            return .mapping(.init(mapping.map { (unmarked($0.key), unmarked($0.value)) }, mapping.tag, mapping.style))
        case .alias: return node
        }
    }

    /// `root` (the composed file, `nil` when empty) with every override set at its path, in order; the
    /// mappings a path needs are made.
    public static func apply(_ overrides: [ConfigurationOverride], to root: Node?) throws(SyntaxError) -> Node? {
        guard !overrides.isEmpty else { return root }
        var document = root ?? .mapping(.init([]))
        for override in overrides {
            let segments = override.keyPath.split(separator: ".").map(String.init)
            document = try set(override.valueNode(), at: segments[...], in: document, override: override)
        }
        return document
    }

    private static func set(
        _ value: Node, at path: ArraySlice<String>, in node: Node, override: ConfigurationOverride
    ) throws(SyntaxError) -> Node {
        guard let key = path.first else { return value }
        guard case .mapping(var mapping) = node else {
            let above = override.keyPath.split(separator: ".").dropLast(path.count).joined(separator: ".")
            throw SyntaxError(
                override.flag, "\(above) is not a mapping in the file, so it has no key \(key)")
        }
        let existing = mapping[Node(key)] ?? .mapping(.init([]))
        mapping[Node(key)] = try set(value, at: path.dropFirst(), in: existing, override: override)
        return .mapping(mapping)
    }

    /// The override an error at `keyPath` is about: the one whose path is it or contains it, the last such
    /// (the last flag wins).
    public static func responsible(
        for keyPath: String, in overrides: [ConfigurationOverride]
    )
        -> ConfigurationOverride?
    {
        guard !keyPath.isEmpty else { return nil }
        return overrides.last { override in
            override.keyPath == keyPath || keyPath.hasPrefix(override.keyPath + ".")
                || keyPath.hasPrefix(override.keyPath + "[")
        }
    }

    /// Every key path written in `root`, mappings and what is under them (`tls`, `tls.ca`, `endpoints`), for
    /// `check-config --effective`.
    public static func keyPaths(in root: Node?) -> Set<String> {
        var paths = Set<String>()
        func walk(_ node: Node, _ prefix: String) {
            if !prefix.isEmpty { paths.insert(prefix) }
            guard case .mapping(let mapping) = node else { return }
            for (key, value) in mapping {
                guard let name = key.string else { continue }
                walk(value, prefix.isEmpty ? name : "\(prefix).\(name)")
            }
        }
        if let root { walk(root, "") }
        return paths
    }
}

/// `check-config --effective`: each `key: value` line of a configuration summary with where its value came
/// from — the file, a flag, or the default.
public enum EffectiveSummary {
    /// `summary` (lines `key.path: value`; other lines kept as they are) with `# file`, `# --set …` or
    /// `# default` after each value.
    public static func annotate(
        _ summary: String, fileKeys: Set<String>, overrides: [ConfigurationOverride]
    )
        -> String
    {
        summary.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard !line.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { return String(line) }
            let key = String(line[..<colon])
            guard !key.contains(" ") else { return String(line) }
            return "\(line)    # \(source(of: key, fileKeys: fileKeys, overrides: overrides))"
        }.joined(separator: "\n")
    }

    /// `--set …` when a flag set `key` (or a key above it), `file` when the file wrote it, else `default`.
    static func source(of key: String, fileKeys: Set<String>, overrides: [ConfigurationOverride]) -> String {
        if let flag = ConfigurationOverride.responsible(for: key, in: overrides)
            ?? overrides.last(where: { $0.keyPath.hasPrefix(key + ".") })
        {
            return flag.flag
        }
        return fileKeys.contains(key) ? "file" : "default"
    }
}

extension ConfigurationOverride {
    /// The steps every configuration loader shares: compose `yaml`, note the keys the file wrote, apply
    /// `overrides`, and run `validate` on the result; a problem `validate` finds in a key a flag set names
    /// that flag instead of the file's line.
    public static func load<Configuration>(
        yaml: String, source: String, overrides: [ConfigurationOverride],
        validate: (Node?) throws(ConfigurationError) -> Configuration
    ) throws(ConfigurationError) -> (configuration: Configuration, fileKeys: Set<String>) {
        let composed: Node?
        do {
            composed = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationFile.syntaxError(error, source: source)
        }
        let root: Node?
        do {
            root = try apply(overrides, to: composed)
        } catch {
            throw .overrideError(error)
        }
        do {
            return (try validate(root), keyPaths(in: composed))
        } catch {
            func attributed(_ problem: ConfigurationError) -> ConfigurationError {
                guard let flag = responsible(for: problem.keyPath, in: overrides) else { return problem }
                var problem = problem
                problem.source = flag.flag
                problem.line = nil
                return problem
            }
            var first = attributed(error)
            first.others = error.others.map(attributed)
            throw first
        }
    }
}
