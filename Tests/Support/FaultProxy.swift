import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP proxy on loopback between a client and its server (an agent and the hub, or a hub and PostgreSQL)
/// whose behaviour the test switches: pass, drop every connection, blackhole (accept and hold, pass nothing),
/// hold the server's replies, freeze the open connections, trickle, delay, or cut the next chunk from the client in the middle and close.
/// One thread accepts; one thread per connection pumps both directions with `poll`.
public final class FaultProxy: @unchecked Sendable {
    public enum Mode: Sendable, Equatable {
        case pass
        case blackhole
        /// At most this many bytes per second in each direction.
        case trickle(bytesPerSecond: Int)
        /// Each chunk waits this long before it is forwarded.
        case delay(milliseconds: Int)
        /// What the client sends is passed on; what the server answers is held back (not lost) until the mode
        /// changes: a server that did the work but whose answer has not arrived yet.
        case holdReplies
    }

    /// The port agents connect to.
    public let port: Int
    private let target: Int
    private let listener: Int32
    private let mode = Mutex(Mode.pass)
    private let connections = Mutex<[Int: (Int32, Int32)]>([:])
    private let cutNext = Atomic<Bool>(false)
    private let frozen = Mutex<Set<Int>>([])
    private let closed = Atomic<Bool>(false)
    private let nextID = Atomic<Int>(0)
    /// Connections accepted so far.
    public let accepted = Atomic<Int>(0)
    /// Connections cut mid-chunk so far.
    public let cuts = Atomic<Int>(0)

    public init(targetPort: Int) throws {
        target = targetPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        listener = fd
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard ok else { throw TestFailure("proxy bind: errno \(errno)") }
        port = Int(UInt16(bigEndian: address.sin_port))
        signal(SIGPIPE, SIG_IGN)
        Thread { [self] in acceptLoop() }.start()
    }

    /// Switches the behaviour for every connection, present and future.
    public func set(_ newMode: Mode) { mode.withLock { $0 = newMode } }

    /// Resets every open connection (RST) now.
    public func dropAll() {
        for (a, b) in connections.withLock({ Array($0.values) }) {
            Self.abort(a)
            Self.abort(b)
        }
    }

    /// Ends every connection open now on the server's side (a reset) while its client hears nothing, for good;
    /// later connections follow the mode. As when the database host died or failed over to another: the old
    /// server's sessions (and their locks) are gone, and a client waiting for an answer on its old connection
    /// sends nothing, so nothing ever tells it.
    public func freezeOpen() {
        let open = connections.withLock { $0 }
        frozen.withLock { $0.formUnion(open.keys) }
        for (_, server) in open.values { Self.abort(server) }
    }

    /// Forwards only the first half of the next chunk the agent sends, then resets both sides.
    public func cutNextChunk() { cutNext.store(true, ordering: .relaxed) }

    /// Closes the listener and every connection.
    public func close() {
        closed.store(true, ordering: .relaxed)
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
        dropAll()
    }

    private func acceptLoop() {
        while !closed.load(ordering: .relaxed) {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if closed.load(ordering: .relaxed) { return }
                continue
            }
            accepted.add(1, ordering: .relaxed)
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: target)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            guard connected else {
                Self.reset(client)
                Glibc.close(upstream)
                continue
            }
            let id = nextID.add(1, ordering: .relaxed).newValue
            connections.withLock { $0[id] = (client, upstream) }
            Thread { [self] in pump(id: id, agent: client, hub: upstream) }.start()
        }
    }

    private func pump(id: Int, agent: Int32, hub: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16384)
        defer {
            connections.withLock { _ = $0.removeValue(forKey: id) }
            Self.abort(agent)
            Self.abort(hub)
            Glibc.close(agent)
            Glibc.close(hub)
        }
        while !closed.load(ordering: .relaxed) {
            let current = mode.withLock { $0 }
            if current == .blackhole || frozen.withLock({ $0.contains(id) }) {
                usleep(50_000)
                continue
            }
            let holding = current == .holdReplies
            var fds = [
                pollfd(fd: agent, events: Int16(POLLIN), revents: 0),
                pollfd(fd: hub, events: holding ? 0 : Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 2, 100)
            if ready <= 0 { continue }
            if holding && fds[0].revents == 0 {
                usleep(20_000)
                continue
            }
            for (index, entry) in fds.enumerated() where entry.revents != 0 && !(holding && index == 1) {
                let from = index == 0 ? agent : hub
                let to = index == 0 ? hub : agent
                let limit: Int
                if case .trickle(let rate) = current {
                    limit = max(1, min(buffer.count, rate / 10))
                } else {
                    limit = buffer.count
                }
                let n = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, limit, 0) }
                if n <= 0 { return }
                var count = n
                if index == 0, cutNext.exchange(false, ordering: .relaxed) {
                    count = max(1, n / 2)
                    _ = buffer.withUnsafeBytes { Glibc.send(to, $0.baseAddress, count, Int32(MSG_NOSIGNAL)) }
                    cuts.add(1, ordering: .relaxed)
                    return
                }
                switch current {
                case .delay(let milliseconds): usleep(UInt32(milliseconds) * 1000)
                case .trickle: usleep(100_000)
                case .pass, .blackhole, .holdReplies: break
                }
                var offset = 0
                while offset < count {
                    let sent = buffer[offset..<count].withUnsafeBytes {
                        Glibc.send(to, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                    }
                    if sent <= 0 { return }
                    offset += sent
                }
            }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    /// Ends the connection with a reset (SO_LINGER 0), as a dropped connection looks to the peer; the
    /// pumping thread closes the descriptor.
    private static func abort(_ fd: Int32) {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        shutdown(fd, Int32(SHUT_RDWR))
    }

    private static func reset(_ fd: Int32) {
        abort(fd)
        Glibc.close(fd)
    }
}
