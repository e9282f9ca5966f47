import AttentionEngine
import CAttentionKernels
import ServiceLifecycle

/// The allocator's part of the memory budget. While requests come in, freed bodies and
/// tensors stay in glibc's arenas for the next request: a fresh mapping per large block costs
/// a page fault per 4 KiB written, which was 40% of a 6 MB gRPC call's server CPU
/// (BENCHMARKS.md, "The allocator: blocks kept while busy"). Once the engine has been idle
/// for a whole period after some work, `malloc_trim` gives back the free pages glibc can
/// reach: its free lists and the main arena's top. The tops of its per-thread arenas stay
/// (glibc trims those only on a free), so RSS after a burst may stay near the burst's peak,
/// which the memory budget already covers.
public enum ProcessMemory {
    /// Call once at start: from then on, blocks up to 64 MiB are kept for reuse when freed.
    /// Returns whether the allocator took the settings (glibc's does; others have none).
    @discardableResult
    public static func keepFreedBlocks() -> Bool { ak_allocator_keep_freed_blocks() }
}

/// Looks at the engine every `period` and trims once per idle spell (``shouldTrim``).
struct IdleMemoryTrimmer: Service {
    /// What one look sees: jobs admitted now, and since the engine started.
    struct Look: Equatable {
        var admitted: Int
        var admissions: Int
    }

    let look: @Sendable () -> Look
    let period: Duration

    init(engine: AttentionEngine, period: Duration = .seconds(1)) {
        look = { let status = engine.status; return Look(admitted: status.admitted, admissions: status.admissions) }
        self.period = period
    }

    /// Trim when no job was admitted or held through the whole last period, and some job came
    /// since the last trim: once per idle spell, never in the middle of traffic.
    static func shouldTrim(previous: Look, current: Look, admissionsAtLastTrim: Int) -> Bool {
        current.admitted == 0 && previous.admitted == 0 && current.admissions == previous.admissions
            && current.admissions != admissionsAtLastTrim
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var previous = look()
            var admissionsAtLastTrim = previous.admissions
            while true {
                try await Task.sleep(for: period)
                let current = look()
                if Self.shouldTrim(previous: previous, current: current, admissionsAtLastTrim: admissionsAtLastTrim) {
                    ak_allocator_trim()
                    admissionsAtLastTrim = current.admissions
                }
                previous = current
            }
        }
    }
}
