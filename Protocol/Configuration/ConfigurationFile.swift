import VigilProtocol
import Yams

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reading a configuration file and turning YAML parser errors into ``ConfigurationError``s: the steps
/// before a loader sees the document.
public enum ConfigurationFile {
    /// The largest configuration file read; anything longer is refused before it is parsed.
    public static let maxBytes = 1 << 20

    /// The text of the file at `path`: at most ``maxBytes``, valid UTF-8.
    public static func text(at path: String) throws(ConfigurationError) -> String {
        func failure(_ what: String) -> ConfigurationError {
            let code = errno
            return ConfigurationError(
                code: .unreadable, source: path, keyPath: "",
                detail: "cannot \(what): \(String(cString: strerror(code))) (errno \(code))")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open the file") }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: maxBytes + 1)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("read the file")
            }
            if count == 0 { break }
            filled += count
        }
        guard filled <= maxBytes else {
            throw ConfigurationError(
                code: .unreadable, source: path, keyPath: "",
                detail: "the file is larger than \(maxBytes) bytes; is this the right file?")
        }
        guard let text = String(validating: bytes[..<filled], as: UTF8.self) else {
            throw ConfigurationError(code: .syntax, source: path, keyPath: "", detail: "the file is not valid UTF-8")
        }
        return text
    }

    /// A `syntax` error for what Yams threw while composing the file, with the line it names.
    public static func syntaxError(_ error: any Error, source: String) -> ConfigurationError {
        var line: Int?
        var detail = "not valid YAML"
        if let yamlError = error as? YamlError {
            switch yamlError {
            case .scanner(let context, let problem, let mark, _),
                .parser(let context, let problem, let mark, _),
                .composer(let context, let problem, let mark, _):
                line = mark.line
                detail = "not valid YAML: \(problem)"
                if let context { detail += " (\(context.text) at line \(context.mark.line))" }
            case .duplicatedKeysInMapping(let duplicates, let context):
                line = context.mark.line
                detail = "duplicate key \(duplicates.map { QuotedText.quote($0) }.joined(separator: ", "))"
            default:
                detail = "not valid YAML: \(yamlError)"
            }
        }
        return ConfigurationError(code: .syntax, source: source, keyPath: "", detail: detail, line: line, cause: error)
    }
}
