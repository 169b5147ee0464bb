extension AgentConfiguration {
    /// One hub address from `endpoints`: `host:port`, with an IPv6 literal in brackets (`[::1]:7443`).
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        /// A DNS name, an IPv4 literal, or an IPv6 literal without its brackets.
        public var host: String
        /// The TCP port, 1 to 65535.
        public var port: Int

        /// Creates an endpoint without checking it.
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// Parses `host:port` or `[ipv6]:port`; `nil` when it is malformed.
        public init?(parsing text: String) {
            guard case .success(let endpoint) = Self.parse(text) else { return nil }
            self = endpoint
        }

        /// `host:port`, with brackets around an IPv6 host.
        public var description: String {
            host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }

        /// Why an endpoint string was refused.
        struct SyntaxError: Error {
            let reason: String
        }

        /// Parses `text`, saying what is wrong when it is not a valid endpoint.
        static func parse(_ text: String) -> Result<Endpoint, SyntaxError> {
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
            guard let port = ConfigurationValue.integer(String(portText)), (1...65535).contains(port) else {
                return .failure(SyntaxError(reason: "expected a port from 1 to 65535 after the colon"))
            }
            return .success(Endpoint(host: String(host), port: port))
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
}
