/// Accept-queue depth of listening TCP ports, from `/proc/net/tcp` and `/proc/net/tcp6`: `queue.depth`.
///
/// For a socket in state `0A` (LISTEN) the kernel prints the current accept-queue length (connections
/// completed but not yet `accept()`ed) as `rx_queue`, the second half of the `tx_queue:rx_queue`
/// field, in hex (and the backlog limit as `tx_queue`). Depths of every listener on the same port are
/// summed: IPv4 and IPv6 sockets, several addresses, `SO_REUSEPORT` groups. Header and malformed lines
/// are skipped.
///
/// Cost: parsing is cheap, but the kernel walks its whole TCP hash tables to produce these files, which
/// took about 4–5 ms per file on a 24 GiB VM (against ~15 µs for `/proc/stat`). The sampler reads them
/// only when `sampling.listen_ports` is set; a netlink `sock_diag` query for LISTEN sockets would avoid it.
public enum ListenQueueDepth {
    /// The `st` value of a listening socket.
    static let listenState: UInt64 = 0x0A

    /// Depth per configured port, from the text of `/proc/net/tcp` or `/proc/net/tcp6`. Ports with no
    /// listener are absent (nothing listens, so there is no queue to report).
    public static func parse(_ text: String, ports: Set<Int>) -> [Int: UInt64] {
        var depths: [Int: UInt64] = [:]
        accumulate(ArraySlice(text.utf8), ports: ports, into: &depths)
        return depths
    }

    /// Adds the depths of listeners on `ports` found in one file's bytes to `depths`, so that the IPv4
    /// and IPv6 tables sum into one value per port.
    public static func accumulate(_ bytes: ArraySlice<UInt8>, ports: Set<Int>, into depths: inout [Int: UInt64]) {
        guard !ports.isEmpty else { return }
        var lines = ProcTextScanner(bytes)
        while let line = lines.nextLine() {
            // "  sl  local_address rem_address   st tx_queue:rx_queue ..."
            var fields = ProcFields(line)
            guard fields.skip(1), let local = fields.next(), fields.skip(1), let state = fields.next(),
                ProcNumber.hex(state) == listenState, let queues = fields.next(),
                let port = portOf(local), ports.contains(port), let depth = rxQueue(queues)
            else { continue }
            depths[port, default: 0] &+= depth
        }
    }

    /// The port of `ADDRESS:PORT`, the part after the last colon, in hex.
    private static func portOf(_ address: ArraySlice<UInt8>) -> Int? {
        guard let colon = address.lastIndex(of: UInt8(ascii: ":")),
            let port = ProcNumber.hex(address[(colon + 1)...]), port <= 0xFFFF
        else { return nil }
        return Int(port)
    }

    /// The `rx_queue` half of `tx_queue:rx_queue`.
    private static func rxQueue(_ field: ArraySlice<UInt8>) -> UInt64? {
        guard let colon = field.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return ProcNumber.hex(field[(colon + 1)...])
    }
}
