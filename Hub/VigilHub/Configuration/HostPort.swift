/// An address to bind: `host:port`, with an IPv6 literal in brackets (`[::1]:7443`). Port 0 asks the
/// system for a free port (used by tests); the bound port is then logged.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 or IPv6 literal (without brackets) or a host name.
    public var host: String
    /// The TCP port, 0 to 65535.
    public var port: Int

    /// Creates an address without checking it.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with brackets around an IPv6 host.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Whether only this host can reach the address: `localhost`, `127.0.0.0/8` or `::1`.
    public var isLoopback: Bool {
        let name = host.lowercased()
        if name == "localhost" || name == "::1" || name == "0:0:0:0:0:0:0:1" { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    struct SyntaxError: Error {
        let reason: String
    }

    /// Parses `host:port` or `[ipv6]:port`, saying what is wrong when it is not.
    static func parse(_ text: String) -> Result<HostPort, SyntaxError> {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                return .failure(SyntaxError(reason: "an IPv6 address needs a closing ]"))
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), !host.isEmpty, host.contains(":") else {
                return .failure(SyntaxError(reason: "expected [ipv6]:port"))
            }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                return .failure(SyntaxError(reason: "expected host:port, the port is missing"))
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                return .failure(SyntaxError(reason: "write an IPv6 address in brackets, as [::1]:7443"))
            }
            let allowed = host.utf8.allSatisfy { byte in
                DurationText.isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
            guard !host.isEmpty, host.utf8.count <= 253, allowed else {
                return .failure(SyntaxError(reason: "expected a host name or IP address before :port"))
            }
        }
        guard let port = DurationText.integer(String(portText)), (0...65535).contains(port) else {
            return .failure(SyntaxError(reason: "expected a port from 0 to 65535 after the colon"))
        }
        return .success(HostPort(host: String(host), port: port))
    }
}
