/// An address written `host:port`, with an IPv6 literal in brackets (`[::1]:7443`): a hub's listen and admin
/// addresses, an agent's `endpoints`. Port 0 in a listen address asks the system for a free port (tests do);
/// the bound port is then logged.
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

    /// Parses `host:port` or `[ipv6]:port` with a port from 1 to 65535 (an address to connect to); `nil` when
    /// it is malformed.
    public init?(parsing text: String) {
        guard case .success(let address) = Self.parse(text, ports: 1...65535) else { return nil }
        self = address
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

    /// Why a text is not an address: the part of the error after the key path.
    public struct SyntaxError: Error, Sendable {
        public let reason: String
    }

    /// Parses `host:port` or `[ipv6]:port` with a port in `ports`, saying what is wrong when it is not.
    public static func parse(_ text: String, ports: ClosedRange<Int>) -> Result<HostPort, SyntaxError> {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                return .failure(SyntaxError(reason: "an IPv6 address needs a closing ]"))
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                return .failure(SyntaxError(reason: "expected :port after the IPv6 address"))
            }
            portText = rest.dropFirst()
            guard !host.isEmpty, host.contains(":"), host.utf8.allSatisfy(isIPv6Byte) else {
                return .failure(SyntaxError(reason: "expected an IPv6 address between [ and ]"))
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                return .failure(SyntaxError(reason: "expected host:port, the port is missing"))
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                return .failure(SyntaxError(reason: "write an IPv6 address in brackets, as [::1]:7443"))
            }
            guard !host.isEmpty, host.utf8.count <= 253, host.utf8.allSatisfy(isHostByte) else {
                return .failure(SyntaxError(reason: "expected a host name or IPv4 address before :port"))
            }
        }
        guard let port = ConfigurationValue.integer(String(portText)), ports.contains(port) else {
            return .failure(
                SyntaxError(reason: "expected a port from \(ports.lowerBound) to \(ports.upperBound) after the colon"))
        }
        return .success(HostPort(host: String(host), port: port))
    }

    private static func isHostByte(_ byte: UInt8) -> Bool {
        ConfigurationValue.isAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "_")
    }

    private static func isIPv6Byte(_ byte: UInt8) -> Bool {
        // Hex digits and colons, dots for an embedded IPv4 tail, `%zone` for link-local addresses.
        isHostByte(byte) || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "%")
    }
}
