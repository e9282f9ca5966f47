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
    /// The largest |bias| (0 without a bias), found by the finiteness check.
    let biasMagnitude: Double
    /// ALiBi: query head h adds −alibiSlopes[h]·|i − j| to its scores.
    let alibiSlopes: [Float]?
    /// Queries that ignore the window (global tokens < L).
    let globalQueries: Set<Int>
    /// Keys every query may see beyond its window (global tokens < S), ascending; empty without a window.
    let globalKeys: [Int]
    /// Luong local-p: query i of batch b sees keys s with |s − centers[b·L + i]| ≤ halfWidth.
    var windowCenters: (centers: [Double], halfWidth: Double)?

    /// Validates `masking` for a problem with `batch` batches of `L` queries and `S` keys.
    /// `target` gives the scores' axes a mask or bias may broadcast to.
    init(_ masking: Masking, bias: Tensor?, alibiSlopes: [Float]? = nil, batch: Int, queryLength: Int, keyLength: Int,
         target: [(ScoreAxis, Int)]) throws(AttentionError) {
        self.alibiSlopes = alibiSlopes
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
        let globals = Set(masking.globalTokens ?? [])
        if let bad = masking.globalTokens?.firstIndex(where: { $0 < 0 || $0 >= max(queryLength, keyLength) }) {
            throw .invalid("global_tokens", "must be token indices in 0..<\(max(queryLength, keyLength)), got \(masking.globalTokens![bad])", index: [bad])
        }
        // Without a window every key is already in reach: global tokens change nothing.
        globalQueries = window == nil ? [] : globals.filter { $0 < queryLength }
        globalKeys = window == nil ? [] : globals.filter { $0 < keyLength }.sorted()
        if let mask = masking.mask {
            self.mask = try Broadcast(mask.values, shape: mask.shape, field: "mask", target: target)
        } else {
            self.mask = nil
        }
        if let bias {
            biasMagnitude = try Validate.finite(bias, "bias")
            self.bias = try Broadcast(bias.scalars, shape: bias.shape, field: "bias", target: target)
        } else {
            biasMagnitude = 0
            self.bias = nil
        }
    }

    /// True when some key of a row is hidden by something other than its interval, or biased.
    var hasElementwiseTerms: Bool { mask != nil || bias != nil || alibiSlopes != nil }

    /// True when rows may see less than every key by the interval constraints of ``keyRange(batch:query:)``.
    var hasIntervals: Bool { causalOffset != nil || window != nil || keyLengths != nil || windowCenters != nil }

    /// The keys query `query` of batch `batch` may see by the interval constraints
    /// (a global query ignores the window).
    @inline(__always)
    func keyRange(batch: Int, query: Int) -> Range<Int> {
        var low = 0, high = keyLength
        if let causalOffset { high = min(high, query + causalOffset + 1) }
        if let window, !globalQueries.contains(query) {
            low = max(low, query - window.left)
            high = min(high, query + window.right + 1)
        }
        if let keyLengths { high = min(high, keyLengths[batch]) }
        if let local = windowCenters {
            let center = local.centers[batch * queryLength + query]
            low = max(low, Int((center - local.halfWidth).rounded(.up)))
            high = min(high, Int((center + local.halfWidth).rounded(.down)) + 1)
        }
        low = min(low, keyLength)  // a window can start past the last key when L > S
        return low..<max(low, high)
    }
}

extension Visibility {
    /// The keys the causal and key-length constraints leave to query `query` (no window).
    func outerRange(batch: Int, query: Int) -> Range<Int> {
        var high = keyLength
        if let causalOffset { high = min(high, query + causalOffset + 1) }
        if let keyLengths { high = min(high, keyLengths[batch]) }
        return 0..<max(0, high)
    }

    /// For a global key `key` beyond the window of a non-global query: the bias and ALiBi terms
    /// to add to its score, or nil when causal, key length or the mask hide it (or the window
    /// already holds it, so it is not counted twice).
    func globalKeyTerm(batch: Int, head: Int, query: Int, key: Int, window range: Range<Int>) -> Float? {
        guard !globalQueries.contains(query), !range.contains(key),
              outerRange(batch: batch, query: query).contains(key) else { return nil }
        if let mask, !mask.values[mask.rowOffset(batch: batch, head: head, query: query) + key * mask.keyStride] {
            return nil
        }
        var term: Float = 0
        if let bias { term += bias.values[bias.rowOffset(batch: batch, head: head, query: query) + key * bias.keyStride] }
        if let alibiSlopes { term -= alibiSlopes[head] * Float(abs(query - key)) }
        return term
    }
}
