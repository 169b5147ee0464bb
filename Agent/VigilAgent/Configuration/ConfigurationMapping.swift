/// The checked entries of one YAML mapping: every key is known (unknown ones were already rejected
/// by ``ConfigurationNode/mapping(allowedKeys:)``), and `null` values read as absent.
struct ConfigurationMapping {
    /// Dotted key path of the mapping itself; empty at the top level.
    let path: String
    /// The configuration's source, usually the file path.
    let source: String
    /// Entries by key.
    let entries: [String: ConfigurationNode]

    /// The value under `key`, or `nil` when the key is absent or its value empty.
    subscript(key: String) -> ConfigurationNode? {
        guard let node = entries[key], !node.isNull else { return nil }
        return node
    }

    /// The value under `key`, or a `missingKey` error whose message says what to write.
    func required(_ key: String, hint: String) throws(ConfigurationError) -> ConfigurationNode {
        guard let node = self[key] else {
            throw .missingKey(path.isEmpty ? key : "\(path).\(key)", source: source, hint: hint)
        }
        return node
    }
}
