/// The time counters of one `cpu` line of `/proc/stat`, in clock ticks (USER_HZ, usually 1/100 s).
///
/// `guest` and `guest_nice` are left out on purpose: the kernel already counts them inside `user`
/// and `nice`, so adding them would count guest time twice.
public struct CPUTimes: Sendable, Equatable {
    /// Time in user mode (including guest time).
    public var user: UInt64
    /// Time in user mode at low priority (including guest_nice time).
    public var nice: UInt64
    /// Time in kernel mode.
    public var system: UInt64
    /// Time idle.
    public var idle: UInt64
    /// Time idle while waiting for I/O (the kernel says it may go backwards; see ``CPUUsage``).
    public var iowait: UInt64
    /// Time servicing hardware interrupts.
    public var irq: UInt64
    /// Time servicing soft interrupts.
    public var softirq: UInt64
    /// Time stolen by the hypervisor for other guests.
    public var steal: UInt64

    /// Creates counters; fields older kernels do not print default to zero.
    public init(
        user: UInt64,
        nice: UInt64,
        system: UInt64,
        idle: UInt64,
        iowait: UInt64 = 0,
        irq: UInt64 = 0,
        softirq: UInt64 = 0,
        steal: UInt64 = 0
    ) {
        self.user = user
        self.nice = nice
        self.system = system
        self.idle = idle
        self.iowait = iowait
        self.irq = irq
        self.softirq = softirq
        self.steal = steal
    }

    /// All time accounted, busy or not (wrapping add: only differences are ever used).
    public var total: UInt64 {
        user &+ nice &+ system &+ idle &+ iowait &+ irq &+ softirq &+ steal
    }

    /// Time doing work: `total − idle − iowait`.
    public var busy: UInt64 {
        user &+ nice &+ system &+ irq &+ softirq &+ steal
    }

    /// True when every counter is at least its value in `earlier`, so the difference is meaningful.
    public func isMonotonic(since earlier: CPUTimes) -> Bool {
        user >= earlier.user && nice >= earlier.nice && system >= earlier.system && idle >= earlier.idle
            && iowait >= earlier.iowait && irq >= earlier.irq && softirq >= earlier.softirq
            && steal >= earlier.steal
    }

    /// The sum of two sets of counters, used to rebuild the host total from per-CPU lines.
    static func + (lhs: CPUTimes, rhs: CPUTimes) -> CPUTimes {
        CPUTimes(
            user: lhs.user &+ rhs.user,
            nice: lhs.nice &+ rhs.nice,
            system: lhs.system &+ rhs.system,
            idle: lhs.idle &+ rhs.idle,
            iowait: lhs.iowait &+ rhs.iowait,
            irq: lhs.irq &+ rhs.irq,
            softirq: lhs.softirq &+ rhs.softirq,
            steal: lhs.steal &+ rhs.steal
        )
    }

    /// All zero.
    static let zero = CPUTimes(user: 0, nice: 0, system: 0, idle: 0)
}
