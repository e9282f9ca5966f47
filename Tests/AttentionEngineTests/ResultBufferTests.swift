import AttentionTestSupport
import Foundation
import Testing
@testable import AttentionEngine

/// Results are allocated uninitialised (on huge pages where possible) and every task must write
/// all of its cells: these check the buffers themselves and problems large enough to use them.
@Suite struct ResultBufferTests {
    let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 16))

    @Test func buffersHaveTheirSizeAndZerosAreZero() {
        for count in [0, 1, 1000, 3 << 19, (1 << 20) + 17] {  // up to 4 MiB + 17 floats: huge pages advised
            #expect(ResultBuffers.uninitialized(count).count == count)
            let zeros = ResultBuffers.zeros(count)
            #expect(zeros.count == count && zeros.allSatisfy { $0 == 0 })
        }
    }

    @Test func adviceOnAnyRangeIsHarmless() {
        let floats = UnsafeMutablePointer<Float>.allocate(capacity: 1 << 21)
        defer { floats.deallocate() }
        for offset in [0, 1, 4097, 1 << 19] {
            ResultBuffers.adviseHugePages(floats + offset, count: (1 << 21) - offset)
            (floats + offset).initialize(repeating: 1, count: (1 << 21) - offset)
        }
        #expect(floats[1 << 20] == 1)
    }

    /// 2.4 MiB of weights per head pair (huge pages advised), every mask kind that leaves cells
    /// unseen: each of them must come back 0, not whatever the memory held.
    @Test(arguments: [
        Masking(causal: .topLeft),
        Masking(causal: .topLeft, keyLengths: [700]),
        Masking(window: SlidingWindow(left: 100, right: 20)),
        Masking(),
    ])
    func largeWeightsAreWrittenWhole(masking: Masking) async throws {
        var random = SplitMix64(seed: 21)
        let q = random.tensor([1, 1, 800, 4]), k = random.tensor([1, 1, 800, 4]), v = random.tensor([1, 1, 800, 2])
        let options = DotProductAttentionOptions(masking: masking)
        let expected = Reference.scaledDotProduct(q, k, v, options)
        for _ in 0..<2 {  // the second run may get the first one's freed memory
            let result = try await engine.scaledDotProduct(query: q, key: k, value: v, options: options)
            #expect(mismatch(result.output.scalars, expected.output) == nil)
            #expect(mismatch(try #require(result.weights).scalars, expected.weights) == nil)
        }
    }
}
