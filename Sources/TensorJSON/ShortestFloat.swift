/// The shortest decimal that reads back to a given `Float`: the Ryū algorithm
/// (Ulf Adams, "Ryū: fast float-to-string conversion", PLDI 2018, §3 and its 32-bit variant).
///
/// Hand-written because the standard library's only public entry point, `description`,
/// builds a `String` per number, which showed in profiles of small responses, and no
/// package on the local mirror offers one that writes into a byte buffer. The result is
/// identical to `description`'s digits: the tests check every `Float` of whole binades and
/// random bit patterns against it, and read each text back with `strtof` and ``JSONReader``.
///
/// Notation as in the paper: the float is m₂·2^e₂; the interval of decimals that round to
/// it is (mm, mp)·2^(e₂−2) around mv = 4·m₂; each is scaled to base 10 with precomputed
/// 64-bit multipliers of 5^±q, then digits are removed while the interval still holds two
/// distinct prefixes; the last removed digit decides rounding.
enum ShortestFloat {
    /// A non-negative finite value as `digits × 10^exponent`, `digits` without trailing zeros.
    struct Decimal: Equatable {
        var digits: UInt32
        var exponent: Int32
    }

    /// The shortest decimal that rounds to `value` (its sign ignored), and among those the
    /// closest, ties to even digits. Zero gives `(0, 0)`.
    ///
    /// - Precondition: `value` is finite.
    static func decimal(_ value: Float) -> Decimal {
        let bits = value.bitPattern
        let fraction = bits & 0x7F_FFFF
        let biasedExponent = (bits >> 23) & 0xFF
        if fraction == 0 && biasedExponent == 0 { return Decimal(digits: 0, exponent: 0) }

        // Step 1: m₂·2^e₂, with two extra bits of exponent for the interval's half-steps.
        let e2: Int32
        let m2: UInt32
        if biasedExponent == 0 {
            e2 = 1 - 127 - 23 - 2
            m2 = fraction
        } else {
            e2 = Int32(biasedExponent) - 127 - 23 - 2
            m2 = (1 << 23) | fraction
        }
        let acceptBounds = m2 & 1 == 0  // round-to-even reads the interval's ends back to this value

        // Step 2: the interval. At a power of two the gap below is half the gap above.
        let mv = 4 * m2
        let mp = 4 * m2 + 2
        let mmShift: UInt32 = (fraction != 0 || biasedExponent <= 1) ? 1 : 0
        let mm = 4 * m2 - 1 - mmShift

        // Step 3: to base 10, keeping track of whether removed digits were all zero.
        var vr: UInt32, vp: UInt32, vm: UInt32
        var e10: Int32
        var vmIsTrailingZeros = false
        var vrIsTrailingZeros = false
        var lastRemovedDigit: UInt32 = 0
        if e2 >= 0 {
            let q = log10Pow2(e2)
            e10 = q
            let k = pow5InverseSplitBits + pow5Bits(q) - 1
            let i = -e2 + q + k
            vr = mulShift(mv, pow5InverseSplit[Int(q)], i)
            vp = mulShift(mp, pow5InverseSplit[Int(q)], i)
            vm = mulShift(mm, pow5InverseSplit[Int(q)], i)
            if q != 0 && (vp - 1) / 10 <= vm / 10 {
                // One removed digit is needed even when the loop below removes none.
                let l = pow5InverseSplitBits + pow5Bits(q - 1) - 1
                lastRemovedDigit = mulShift(mv, pow5InverseSplit[Int(q - 1)], -e2 + q - 1 + l) % 10
            }
            if q <= 9 {
                // At most one of mp, mv, mm is a multiple of 5.
                if mv % 5 == 0 {
                    vrIsTrailingZeros = isMultipleOfPowerOf5(mv, q)
                } else if acceptBounds {
                    vmIsTrailingZeros = isMultipleOfPowerOf5(mm, q)
                } else if isMultipleOfPowerOf5(mp, q) {
                    vp -= 1
                }
            }
        } else {
            let q = log10Pow5(-e2)
            e10 = q + e2
            let i = -e2 - q
            let k = pow5Bits(i) - pow5SplitBits
            var j = q - k
            vr = mulShift(mv, pow5Split[Int(i)], j)
            vp = mulShift(mp, pow5Split[Int(i)], j)
            vm = mulShift(mm, pow5Split[Int(i)], j)
            if q != 0 && (vp - 1) / 10 <= vm / 10 {
                j = q - 1 - (pow5Bits(i + 1) - pow5SplitBits)
                lastRemovedDigit = mulShift(mv, pow5Split[Int(i + 1)], j) % 10
            }
            if q <= 1 {
                // mv = 4·m₂ has two trailing zero bits; mm one iff mmShift is 1; mp one.
                vrIsTrailingZeros = true
                if acceptBounds {
                    vmIsTrailingZeros = mmShift == 1
                } else {
                    vp -= 1
                }
            } else if q < 31 {
                vrIsTrailingZeros = isMultipleOfPowerOf2(mv, q - 1)
            }
        }

        // Step 4: remove digits while the interval still holds a shorter decimal.
        var removed: Int32 = 0
        var output: UInt32
        if vmIsTrailingZeros || vrIsTrailingZeros {
            // The rare general case (about 4 %): exact ties and inclusive bounds.
            while vp / 10 > vm / 10 {
                vmIsTrailingZeros = vmIsTrailingZeros && vm % 10 == 0
                vrIsTrailingZeros = vrIsTrailingZeros && lastRemovedDigit == 0
                lastRemovedDigit = vr % 10
                vr /= 10; vp /= 10; vm /= 10
                removed += 1
            }
            if vmIsTrailingZeros {
                while vm % 10 == 0 {
                    vrIsTrailingZeros = vrIsTrailingZeros && lastRemovedDigit == 0
                    lastRemovedDigit = vr % 10
                    vr /= 10; vp /= 10; vm /= 10
                    removed += 1
                }
            }
            if vrIsTrailingZeros && lastRemovedDigit == 5 && vr % 2 == 0 {
                lastRemovedDigit = 4  // exactly halfway: round to even
            }
            let outsideOrRoundUp = (vr == vm && (!acceptBounds || !vmIsTrailingZeros)) || lastRemovedDigit >= 5
            output = vr + (outsideOrRoundUp ? 1 : 0)
        } else {
            while vp / 10 > vm / 10 {
                lastRemovedDigit = vr % 10
                vr /= 10; vp /= 10; vm /= 10
                removed += 1
            }
            output = vr + ((vr == vm || lastRemovedDigit >= 5) ? 1 : 0)
        }
        var exponent = e10 + removed
        while output % 10 == 0 {  // rounding up can leave a trailing zero (99 → 100)
            output /= 10
            exponent += 1
        }
        return Decimal(digits: output, exponent: exponent)
    }

    // MARK: - Arithmetic helpers (the paper's, valid over the exponents of Float)

    /// ⌈log₂ 5^e⌉ for 1 ≤ e ≤ 3528 (1 for e = 0).
    private static func pow5Bits(_ e: Int32) -> Int32 {
        Int32(truncatingIfNeeded: (UInt32(e) &* 1_217_359) >> 19) + 1
    }

    /// ⌊log₁₀ 2^e⌋ for 0 ≤ e ≤ 1650.
    private static func log10Pow2(_ e: Int32) -> Int32 {
        Int32(truncatingIfNeeded: (UInt32(e) &* 78913) >> 18)
    }

    /// ⌊log₁₀ 5^e⌋ for 0 ≤ e ≤ 2620.
    private static func log10Pow5(_ e: Int32) -> Int32 {
        Int32(truncatingIfNeeded: (UInt32(e) &* 732_923) >> 20)
    }

    private static func isMultipleOfPowerOf5(_ value: UInt32, _ p: Int32) -> Bool {
        var value = value
        var count: Int32 = 0
        while value % 5 == 0 && count < p {
            value /= 5
            count += 1
        }
        return count >= p
    }

    private static func isMultipleOfPowerOf2(_ value: UInt32, _ p: Int32) -> Bool {
        value & ((1 << UInt32(p)) - 1) == 0
    }

    /// ⌊m · factor / 2^shift⌋ for shift > 32, from two 32×32-bit products (the result fits 32 bits).
    @inline(__always)
    private static func mulShift(_ m: UInt32, _ factor: UInt64, _ shift: Int32) -> UInt32 {
        let low = UInt64(m) &* (factor & 0xFFFF_FFFF)
        let high = UInt64(m) &* (factor >> 32)
        let sum = (low >> 32) &+ high
        return UInt32(truncatingIfNeeded: sum >> UInt64(shift - 32))
    }

    /// Bits of the inverse multipliers: `pow5InverseSplit[q]` = ⌊2^(pow5Bits(q) − 1 + 59) / 5^q⌋ + 1.
    private static let pow5InverseSplitBits: Int32 = 59
    /// Bits of the multipliers: `pow5Split[i]` = 5^i scaled to exactly 61 bits, truncated.
    private static let pow5SplitBits: Int32 = 61

    /// Generated with exact integers; see the doc comments of the two bit counts above.
    private static let pow5InverseSplit: [UInt64] = [
    0x0800000000000001, 0x0666666666666667, 0x051EB851EB851EB9,
    0x04189374BC6A7EFA, 0x068DB8BAC710CB2A, 0x053E2D6238DA3C22,
    0x0431BDE82D7B634E, 0x06B5FCA6AF2BD216, 0x055E63B88C230E78,
    0x044B82FA09B5A52D, 0x06DF37F675EF6EAE, 0x057F5FF85E592558,
    0x0465E6604B7A8447, 0x0709709A125DA071, 0x05A126E1A84AE6C1,
    0x0480EBE7B9D58567, 0x0734ACA5F6226F0B, 0x05C3BD5191B525A3,
    0x049C97747490EAE9, 0x0760F253EDB4AB0E, 0x05E72843249088D8,
    0x04B8ED0283A6D3E0, 0x078E480405D7B966, 0x060B6CD004AC9452,
    0x04D5F0A66A23A9DB, 0x07BCB43D769F762B, 0x063090312BB2C4EF,
    0x04F3A68DBC8F03F3, 0x07EC3DAF94180651, 0x065697BFA9ACD1DA,
    0x051212FFBAF0A7E2,
    ]

    private static let pow5Split: [UInt64] = [
    0x1000000000000000, 0x1400000000000000, 0x1900000000000000,
    0x1F40000000000000, 0x1388000000000000, 0x186A000000000000,
    0x1E84800000000000, 0x1312D00000000000, 0x17D7840000000000,
    0x1DCD650000000000, 0x12A05F2000000000, 0x174876E800000000,
    0x1D1A94A200000000, 0x12309CE540000000, 0x16BCC41E90000000,
    0x1C6BF52634000000, 0x11C37937E0800000, 0x16345785D8A00000,
    0x1BC16D674EC80000, 0x1158E460913D0000, 0x15AF1D78B58C4000,
    0x1B1AE4D6E2EF5000, 0x10F0CF064DD59200, 0x152D02C7E14AF680,
    0x1A784379D99DB420, 0x108B2A2C28029094, 0x14ADF4B7320334B9,
    0x19D971E4FE8401E7, 0x1027E72F1F128130, 0x1431E0FAE6D7217C,
    0x193E5939A08CE9DB, 0x1F8DEF8808B02452, 0x13B8B5B5056E16B3,
    0x18A6E32246C99C60, 0x1ED09BEAD87C0378, 0x13426172C74D822B,
    0x1812F9CF7920E2B6, 0x1E17B84357691B64, 0x12CED32A16A1B11E,
    0x178287F49C4A1D66, 0x1D6329F1C35CA4BF, 0x125DFA371A19E6F7,
    0x16F578C4E0A060B5, 0x1CB2D6F618C878E3, 0x11EFC659CF7D4B8D,
    0x166BB7F0435C9E71, 0x1C06A5EC5433C60D, 0x118427B3B4A05BC8,
    ]
}
