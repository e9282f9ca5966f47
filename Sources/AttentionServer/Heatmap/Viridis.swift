/// The viridis colour scale (van der Walt & Smith, matplotlib's default map): perceptually
/// uniform, readable in grey and by most colour-blind readers.
///
/// Written out because no Swift package ships it: 33 evenly spaced samples of matplotlib's
/// 256-entry table (CC0), linearly interpolated, which stays within 2.5/255 of the full table.
enum Viridis {
    static let stops: [UInt32] = [
        0x440154, 0x470d60, 0x48186a, 0x482374, 0x472d7b, 0x453781, 0x424086, 0x3e4989, 0x3b528b,
        0x375b8d, 0x33638d, 0x2f6b8e, 0x2c728e, 0x297a8e, 0x26828e, 0x23898e, 0x21918c, 0x1f988b,
        0x1fa088, 0x22a785, 0x28ae80, 0x32b67a, 0x3fbc73, 0x4ec36b, 0x5ec962, 0x70cf57, 0x84d44b,
        0x98d83e, 0xaddc30, 0xc2df23, 0xd8e219, 0xece51b, 0xfde725,
    ]

    /// The colour at `t` in 0…1 (clamped; NaN reads as 0) as `#rrggbb`, from a table of
    /// 1025 steps: a heatmap looks up one per cell, and a step is under half a channel level.
    static func hex(_ t: Double) -> String {
        table[Int((t.isNaN ? 0 : min(max(t, 0), 1)) * Double(table.count - 1) + 0.5)]
    }

    private static let table: [String] = (0...1024).map { interpolated(Double($0) / 1024) }

    /// The colour at `t` in 0…1, interpolated between the two stops around it.
    private static func interpolated(_ t: Double) -> String {
        let position = t * Double(stops.count - 1)
        let lower = min(Int(position), stops.count - 2)
        let fraction = position - Double(lower)
        var text = "#"
        for shift in [16, 8, 0] {
            let from = Double((stops[lower] >> UInt32(shift)) & 0xff)
            let to = Double((stops[lower + 1] >> UInt32(shift)) & 0xff)
            let channel = Int((from + (to - from) * fraction).rounded())
            text += hexDigits(channel)
        }
        return text
    }

    private static func hexDigits(_ byte: Int) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[byte >> 4], digits[byte & 0xf]])
    }
}
