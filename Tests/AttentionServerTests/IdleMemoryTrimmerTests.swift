import AttentionEngine
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import AttentionServer

/// Freed memory goes back to the system once per idle spell, never in the middle of traffic.
@Suite struct IdleMemoryTrimmerTests {
    typealias Look = IdleMemoryTrimmer.Look

    @Test func trimsOnceAfterAWholeIdlePeriodThatFollowsWork() {
        let idleAfterWork = Look(admitted: 0, admissions: 5)
        #expect(IdleMemoryTrimmer.shouldTrim(previous: idleAfterWork, current: idleAfterWork, admissionsAtLastTrim: 0))
        // The same spell, already trimmed.
        #expect(!IdleMemoryTrimmer.shouldTrim(previous: idleAfterWork, current: idleAfterWork, admissionsAtLastTrim: 5))
        // No work since the start (or since the last trim).
        #expect(!IdleMemoryTrimmer.shouldTrim(previous: Look(admitted: 0, admissions: 0), current: Look(admitted: 0, admissions: 0),
                                              admissionsAtLastTrim: 0))
    }

    @Test func neverTrimsWhileJobsAreAdmittedOrArriving() {
        // A job held now, or at the previous look.
        #expect(!IdleMemoryTrimmer.shouldTrim(previous: Look(admitted: 0, admissions: 5), current: Look(admitted: 1, admissions: 6),
                                              admissionsAtLastTrim: 0))
        #expect(!IdleMemoryTrimmer.shouldTrim(previous: Look(admitted: 2, admissions: 5), current: Look(admitted: 0, admissions: 5),
                                              admissionsAtLastTrim: 0))
        // Short jobs that came and went between two looks: the period was not idle.
        #expect(!IdleMemoryTrimmer.shouldTrim(previous: Look(admitted: 0, admissions: 5), current: Look(admitted: 0, admissions: 9),
                                              admissionsAtLastTrim: 0))
    }

    @Test func theEngineCountsItsAdmissions() async throws {
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 1))
        let before = engine.status.admissions
        let small = try Tensor(shape: [1, 1], scalars: [1])
        for _ in 0..<3 { _ = try await engine.scaledDotProduct(query: small, key: small, value: small) }
        #expect(engine.status.admissions == before + 3)
        #expect(engine.status.admitted == 0)
        await engine.shutdown()
    }
}

/// The allocator settings reach glibc: a build that compiled them away (the C file tested
/// `__GLIBC__` before including any glibc header) kept none of the freed blocks it says it keeps.
@Suite struct ProcessMemoryTests {
    #if os(Linux) && canImport(Glibc)
    /// Under --sanitize the allocator is the sanitizer's, whose `mallopt` takes nothing.
    static let sanitized = ["__asan_init", "__tsan_init"].contains { (name: String) in dlsym(nil, name) != nil }

    @Test(.disabled(if: sanitized, "a sanitizer's allocator")) func glibcTakesTheSettings() {
        #expect(ProcessMemory.keepFreedBlocks())
    }
    #endif
}
