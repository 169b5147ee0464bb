import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking Unix-socket client for tests that need to send exact bytes (malformed frames, long lines).
public final class UnixSocketClient: @unchecked Sendable {
    private let fd: Int32

    /// Connects to `path`. The descriptor is stored only once connected: a class whose initializer throws
    /// after every property is set still runs `deinit`, which closed the descriptor a second time, by then
    /// perhaps another thread's file (a restarted daemon's log lost its descriptor that way).
    public init(path: String, receiveTimeoutSeconds: Int = 10) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8.prefix(raw.count - 1))
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw TestFailure("connect \(path): errno \(errno)")
        }
        var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        self.fd = fd
    }

    deinit { close(fd) }

    /// Writes all of `bytes`. A peer that is gone (an agent killed by the test) makes the write fail
    /// instead of raising SIGPIPE, which would end the whole test process.
    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestFailure("send: errno \(errno)") }
            offset += n
        }
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Reads until `done(bytes)` is true or the timeout passes.
    public func receive(until done: ([UInt8]) -> Bool) throws -> [UInt8] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !done(received) {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else {
                throw TestFailure("read: \(n == 0 ? "closed" : "errno \(errno)") after \(received.count) bytes")
            }
            received += chunk[0..<n]
        }
        return received
    }

    /// One `read` of whatever has arrived: empty at end of stream; throws on an error or the timeout.
    public func readSome(maxBytes: Int = 65536) throws -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: maxBytes)
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n >= 0 else { throw TestFailure("read: errno \(errno)") }
        return Array(chunk[0..<n])
    }

    /// Reads newline-terminated replies until `count` lines arrived.
    public func receiveLines(_ count: Int) throws -> [String] {
        let bytes = try receive { $0.filter { $0 == UInt8(ascii: "\n") }.count >= count }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
