/// The axes of a scores tensor `[B, H, L, S]`.
enum ScoreAxis {
    case batch, head, query, key
}

/// A user tensor broadcast (NumPy rules: right-aligned, each dimension equal or 1) onto
/// the scores' axes, addressed by strides; a broadcast axis has stride 0.
struct Broadcast<Element: Sendable>: Sendable {
    let values: [Element]
    let batchStride: Int, headStride: Int, queryStride: Int, keyStride: Int

    /// - Parameter target: the scores' axes and sizes this mechanism uses, outermost first.
    init(_ values: [Element], shape: [Int], field: String, target: [(ScoreAxis, Int)]) throws(AttentionError) {
        guard shape.count <= target.count else {
            throw .shape(field, "of shape \(Shape.describe(shape)) is not broadcastable to the scores' shape \(Shape.describe(target.map(\.1)))")
        }
        var strides: [ScoreAxis: Int] = [:]
        var stride = 1
        for offset in 1...max(1, shape.count) where offset <= shape.count {
            let size = shape[shape.count - offset]
            let (axis, targetSize) = target[target.count - offset]
            guard size == targetSize || size == 1 else {
                throw .shape(field, "of shape \(Shape.describe(shape)) is not broadcastable to the scores' shape \(Shape.describe(target.map(\.1)))")
            }
            strides[axis] = size == 1 ? 0 : stride
            stride *= size
        }
        self.values = values
        batchStride = strides[.batch] ?? 0
        headStride = strides[.head] ?? 0
        queryStride = strides[.query] ?? 0
        keyStride = strides[.key] ?? 0
    }

    /// The offset of key 0 in the row of query `query`.
    @inline(__always)
    func rowOffset(batch: Int, head: Int, query: Int) -> Int {
        batch * batchStride + head * headStride + query * queryStride
    }
}

/// Which keys each query may see: an interval per row from the causal, window and
/// key-length constraints, and element-wise from a boolean mask; plus an additive bias.
struct Visibility: Sendable {
    let queryLength: Int
    let keyLength: Int
    /// Query i sees keys j ≤ i + causalOffset.
    let causalOffset: Int?
    let window: SlidingWindow?
    let keyLengths: [Int]?
    let mask: Broadcast<Bool>?
    let bias: Broadcast<Float>?

    /// Validates `masking` for a problem with `batch` batches of `L` queries and `S` keys.
    /// `target` gives the scores' axes a mask or bias may broadcast to.
    init(_ masking: Masking, bias: Tensor?, batch: Int, queryLength: Int, keyLength: Int,
         target: [(ScoreAxis, Int)]) throws(AttentionError) {
        self.queryLength = queryLength
        self.keyLength = keyLength
        switch masking.causal {
        case nil: causalOffset = nil
        case .topLeft: causalOffset = 0
        case .bottomRight: causalOffset = keyLength - queryLength
        }
        if let window = masking.window {
            guard window.left >= 0, window.right >= 0 else {
                throw .invalid("window", "must be two non-negative integers [left, right], got [\(window.left), \(window.right)]")
            }
            // Beyond L + S a window is the whole sequence; clamping keeps index arithmetic in range.
            let reach = queryLength + keyLength
            self.window = SlidingWindow(left: min(window.left, reach), right: min(window.right, reach))
        } else {
            window = nil
        }
        if let lengths = masking.keyLengths {
            guard lengths.count == batch else {
                throw .shape("key_lengths", "must have one length per batch: shape [\(batch)], got [\(lengths.count)]")
            }
            if let bad = lengths.firstIndex(where: { $0 < 0 || $0 > keyLength }) {
                throw .invalid("key_lengths", "must be integers in 0…\(keyLength) (the key length), got \(lengths[bad])", index: [bad])
            }
        }
        keyLengths = masking.keyLengths
        if let mask = masking.mask {
            self.mask = try Broadcast(mask.values, shape: mask.shape, field: "mask", target: target)
        } else {
            self.mask = nil
        }
        if let bias {
            try Validate.finite(bias, "bias")
            self.bias = try Broadcast(bias.scalars, shape: bias.shape, field: "bias", target: target)
        } else {
            self.bias = nil
        }
    }

    /// True when some key of a row is hidden by something other than its interval, or biased.
    var hasElementwiseTerms: Bool { mask != nil || bias != nil }

    /// The keys query `query` of batch `batch` may see by the interval constraints.
    @inline(__always)
    func keyRange(batch: Int, query: Int) -> Range<Int> {
        var low = 0, high = keyLength
        if let causalOffset { high = min(high, query + causalOffset + 1) }
        if let window {
            low = max(low, query - window.left)
            high = min(high, query + window.right + 1)
        }
        if let keyLengths { high = min(high, keyLengths[batch]) }
        low = min(low, keyLength)  // a window can start past the last key when L > S
        return low..<max(low, high)
    }
}
