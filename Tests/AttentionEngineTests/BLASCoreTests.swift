import Foundation
import Testing
@testable import AttentionEngine

/// OpenBLAS's kernels must use the CPU's vector width: Debian 12's OpenBLAS falls back to SSE3
/// ("Prescott") on CPUs newer than it knows, about 3.3× slower, unless the engine replaces the core.
struct BLASCoreTests {
    static let avx512Cores: Set = ["SkylakeX", "Cooperlake", "SapphireRapids"]
    static let avx2Cores: Set = ["Haswell", "Zen", "Excavator"]

    @Test(.enabled(if: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
                   "OPENBLAS_CORETYPE chooses the core: the engine leaves it alone"))
    func blasCoreUsesTheInstructionSetOfTheRowKernels() {
        let core = AttentionEngine.blasCore, kernels = AttentionEngine.kernelInstructionSet
        if kernels.hasPrefix("x86-64-v4") {
            #expect(Self.avx512Cores.contains(core), "AVX-512 CPU, OpenBLAS core \(core)")
        } else if kernels.hasPrefix("x86-64-v3") {
            #expect(Self.avx512Cores.union(Self.avx2Cores).contains(core), "AVX2 CPU, OpenBLAS core \(core)")
        }
        // A replaced core is named in the description, so that logs and benchmarks show it.
        if let replaced = AttentionEngine.blasCoreReplaced {
            #expect(replaced != core)
            #expect(AttentionEngine.blasCoreDescription == "\(core) (replacing \(replaced))")
        } else {
            #expect(AttentionEngine.blasCoreDescription == core)
        }
    }
}
