/// A configuration read from one YAML file with `--set` overrides applied: the agent's and the hub's. Each
/// implements ``loadDocument(yaml:source:overrides:)``; reading a file and dropping the key paths are here once.
public protocol LoadableConfiguration {
    /// Parses and validates `yaml`, with `overrides` applied; `source` names it in errors (usually the file
    /// name). Returns the configuration and the key paths the file itself wrote (for `check-config --effective`).
    static func loadDocument(
        yaml: String, source: String, overrides: [ConfigurationOverride]
    ) throws(ConfigurationError) -> (configuration: Self, fileKeys: Set<String>)
}

extension LoadableConfiguration {
    /// Reads and validates the file at `path` with `overrides` (`--set`) applied; errors are prefixed with
    /// `path`, or with the flag when they are about a key it set.
    public static func load(path: String, overrides: [ConfigurationOverride] = []) throws(ConfigurationError) -> Self {
        try loadDocument(path: path, overrides: overrides).configuration
    }

    /// The configuration at `path` and the key paths the file itself wrote.
    public static func loadDocument(
        path: String, overrides: [ConfigurationOverride] = []
    ) throws(ConfigurationError) -> (configuration: Self, fileKeys: Set<String>) {
        try loadDocument(yaml: ConfigurationFile.text(at: path), source: path, overrides: overrides)
    }

    /// Parses and validates configuration text; `source` names it in errors.
    public static func load(
        yaml: String, source: String, overrides: [ConfigurationOverride] = []
    ) throws(ConfigurationError) -> Self {
        try loadDocument(yaml: yaml, source: source, overrides: overrides).configuration
    }
}
