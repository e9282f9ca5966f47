import CAttentionKernels
import Foundation
import Testing

/// The vectorised GELU kernel against x·Φ(x) in Float64 (`erf` of the C library).
@Suite struct GELUKernelTests {
    @Test(arguments: [0, 1, 7, 16, 17, 33, 1000])
    func matchesTheExactFormInFloat64(count: Int) {
        // A sweep over [-10, 10] and the ends of Float32's useful range, tails included.
        var x = (0..<count).map { Float(-10 + 20 * Double($0) / Double(max(count - 1, 1))) }
        if count > 4 { x[0] = -1e30; x[1] = 1e30; x[2] = 0; x[3] = -0.001 }
        let expected = x.map { 0.5 * Double($0) * (1 + erf(Double($0) / 2.squareRoot())) }
        var y = x
        y.withUnsafeMutableBufferPointer { if let base = $0.baseAddress { ak_gelu(base, $0.count) } }
        for (i, value) in y.enumerated() {
            let error = abs(Double(value) - expected[i])
            #expect(error <= 4e-7 * max(1, abs(expected[i])), "x = \(x[i]): \(value) against \(expected[i])")
        }
    }
}
