import CAttentionKernels

/// The allocator's part of the memory budget, for the server and for the engine's benchmark
/// alike (so that the engine's own time is measured as the server runs it).
///
/// While requests come in, freed bodies, tensors and results stay in glibc's arenas for the next
/// request: a fresh mapping per large block costs a page fault per 4 KiB written (about 1.7 µs
/// each on the development machine), and with the weights at L = S = 1024, H = 8, a fresh 32 MiB
/// result per request (BENCHMARKS.md, "The weights end to end"). Once the server has been idle,
/// ``trim()`` gives back the free pages glibc can reach: its free lists and the main arena's
/// top. The tops of its per-thread arenas stay (glibc trims those only on a free), so RSS after
/// a burst may stay near the burst's peak, which the memory budget covers.
public enum ProcessMemory {
    /// Call once at start: from then on, blocks up to 64 MiB are kept for reuse when freed.
    /// Returns whether the allocator took the settings (glibc's does; others have none).
    @discardableResult
    public static func keepFreedBlocks() -> Bool { ak_allocator_keep_freed_blocks() }

    /// Gives the allocator's free pages back to the system (`malloc_trim`).
    public static func trim() { ak_allocator_trim() }
}
