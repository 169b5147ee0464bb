#if canImport(Glibc)
    import Glibc
#endif

/// Keeps memory that a frame used from staying with the process after the frame is gone (DESIGN §2: the hub's
/// resident memory grows by less than 2 × the frame limit, however many large or hostile frames arrive).
///
/// glibc serves an allocation of at least `M_MMAP_THRESHOLD` with its own mapping and unmaps it on free, but by
/// default it raises that threshold to the size of every such block freed, up to 32 MiB: after the first 16 MiB
/// frame, frame buffers come from the heap arenas, which keep the pages, and each event-loop thread's arena can
/// keep a frame's worth of its own. A fixed threshold keeps large buffers mapped and returned; capping the
/// arenas keeps small allocations of many threads from spreading over many heaps.
enum MemoryBounds {
    /// Blocks of this size or more get a mapping of their own, returned to the system when freed.
    static let mmapThresholdBytes: Int32 = 256 * 1024
    /// glibc heap arenas at most (its default is 8 per core).
    static let maxArenas: Int32 = 4

    /// `<malloc.h>`'s parameter numbers; Swift's Glibc module does not import that header.
    private static let mmapThresholdParameter: Int32 = -3  // M_MMAP_THRESHOLD
    private static let arenaMaxParameter: Int32 = -8  // M_ARENA_MAX

    static func apply() {
        #if canImport(Glibc)
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            _ = mallopt(mmapThresholdParameter, mmapThresholdBytes)
            _ = mallopt(arenaMaxParameter, maxArenas)
        #endif
    }
}
