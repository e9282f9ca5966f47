import CAttentionKernels

/// Checks shared by every mechanism's validation.
enum Validate {
    /// Throws `.nonFinite` naming the first NaN or infinite element of `tensor`.
    /// Returns the largest |x| (the same pass finds both).
    @discardableResult
    static func finite(_ tensor: Tensor, _ field: String) throws(AttentionError) -> Double {
        let magnitude = Magnitude.of(tensor)
        guard magnitude == .infinity else { return magnitude }
        // Rare: find which element, for the error message.
        guard let flat = tensor.scalars.firstIndex(where: { !$0.isFinite }) else { return .infinity }
        let index = Shape.index(ofFlat: flat, in: tensor.shape)
        throw AttentionError(
            kind: .nonFinite, field: field, index: index,
            message: "`\(field)` has a non-finite value (\(tensor.scalars[flat])) at index \(Shape.describe(index))")
    }

    static func finite(_ tensor: Tensor?, _ field: String) throws(AttentionError) {
        if let tensor { try finite(tensor, field) }
    }

    static func rank(_ tensor: Tensor, _ field: String, in ranks: ClosedRange<Int>, names: String) throws(AttentionError) {
        guard ranks.contains(tensor.rank) else {
            throw .shape(field, "must be \(names), got shape \(Shape.describe(tensor.shape))")
        }
    }

    static func positive(_ value: Int, _ field: String) throws(AttentionError) {
        guard value > 0 else { throw .invalid(field, "must be a positive integer, got \(value)") }
    }

    static func scale(_ scale: Float?, default defaultScale: Float) throws(AttentionError) -> Float {
        guard let scale else { return defaultScale }
        guard scale.isFinite else { throw .invalid("scale", "must be a finite number, got \(scale)") }
        return scale
    }

    /// A vector `[n]` (e.g. a bias) of the given length.
    static func vector(_ tensor: Tensor?, _ field: String, length: Int) throws(AttentionError) {
        guard let tensor else { return }
        guard tensor.shape == [length] else {
            throw .shape(field, "must have shape [\(length)], got \(Shape.describe(tensor.shape))")
        }
    }
}

/// Bounds that prove Float32 arithmetic on validated inputs cannot overflow: the engine
/// promises finite outputs for finite inputs, so inputs large enough to overflow a score
/// or an accumulator are refused up front instead of producing inf or NaN.
enum Magnitude {
    /// Largest |x| in the tensor, 0 for nil or empty; infinite when some element is not finite.
    static func of(_ tensor: Tensor?) -> Double {
        guard let tensor else { return 0 }
        let bits = Magnitude.bits(tensor)
        return bits >= nonFiniteBits ? .infinity : Double(Float(bitPattern: bits))
    }

    /// The bit pattern of the largest |x| (one vectorised pass; see `ak_max_abs_bits`).
    static func bits(_ tensor: Tensor) -> UInt32 {
        if let known = tensor.magnitudeBits { return known }
        return tensor.scalars.withUnsafeBufferPointer { ak_max_abs_bits($0.baseAddress, $0.count) }
    }

    /// The bit pattern of +inf: anything at or above it is ±inf or NaN.
    static let nonFiniteBits = Float.infinity.bitPattern

    /// A bound on |x·W + b| for rows of x with `inner` features.
    static func ofProjection(input: Double, weight: Tensor, bias: Tensor?) -> Double {
        Double(weight.shape[0]) * input * of(weight) + of(bias)
    }

    /// Half of Float's range: room for a sum of two bounded terms.
    static let limit = Double(Float.greatestFiniteMagnitude) / 2

    static func check(_ bound: Double, _ field: String, _ what: String) throws(AttentionError) {
        guard bound < limit else {
            throw .invalid(field, "holds values too large for Float32 arithmetic: \(what) could reach \(bound)")
        }
    }
}

extension Validate {
    /// Every dimension must fit the 32-bit sizes BLAS takes.
    static func blasSized(_ tensor: Tensor, _ field: String) throws(AttentionError) {
        guard tensor.scalars.count <= Int(Int32.max) else {
            throw .shape(field, "has \(tensor.scalars.count) elements, more than the engine's limit of \(Int32.max)")
        }
    }

    /// Feature sizes (d_k, d_v, E, h) must be at least 1: a zero-width tensor carries no
    /// data but could still describe an enormous sequence.
    static func features(_ size: Int, _ field: String, _ name: String) throws(AttentionError) {
        guard size >= 1 else { throw .shape(field, "must have at least one feature (\(name) ≥ 1), got \(name) = \(size)") }
    }

    /// The element count of a result, refused when it would exceed 2³¹ − 1 (or overflow).
    static func resultSize(_ dimensions: [Int], _ what: String) throws(AttentionError) {
        guard let count = Shape.elementCount(dimensions), count <= Int(Int32.max) else {
            throw .shape(what, "would have shape \(Shape.describe(dimensions)), more than the engine's limit of \(Int32.max) elements")
        }
    }

    /// Finite and BLAS-sized. Returns the largest |x| (0 for nil), so that magnitude checks
    /// need no second pass over a large input.
    @discardableResult
    static func input(_ tensor: Tensor?, _ field: String) throws(AttentionError) -> Double {
        guard let tensor else { return 0 }
        try blasSized(tensor, field)
        return try finite(tensor, field)
    }

    /// `tensor` (a key or value) must have the query's rank and, when batched, its batch size.
    static func sameRankAndBatch(_ tensor: Tensor?, _ field: String, as query: Tensor, batched: Bool) throws(AttentionError) {
        guard let tensor else { return }
        guard tensor.rank == query.rank else {
            throw .shape(field, "must have the query's rank \(query.rank), got shape \(Shape.describe(tensor.shape)) against query \(Shape.describe(query.shape))")
        }
        if batched, tensor.shape[0] != query.shape[0] {
            throw .shape(field, "has batch size \(tensor.shape[0]) but query has \(query.shape[0]): shapes \(Shape.describe(tensor.shape)) and \(Shape.describe(query.shape))")
        }
    }

    /// Values must have one row per key: dimension `axis` of both agrees.
    static func valuesMatchKeys(_ value: Tensor, _ key: Tensor, axis: Int) throws(AttentionError) {
        guard value.shape[axis] == key.shape[axis] else {
            throw .shape("value", "has \(value.shape[axis]) positions but key has S = \(key.shape[axis]): shapes \(Shape.describe(value.shape)) and \(Shape.describe(key.shape))")
        }
    }

    /// A 2-D weight matrix `[rows, columns]` whose rows match `inputFeatures`.
    static func matrix(_ tensor: Tensor, _ field: String, rows: Int, rowsName: String) throws(AttentionError) {
        guard tensor.rank == 2 else {
            throw .shape(field, "must be a matrix [\(rowsName), out], got shape \(Shape.describe(tensor.shape))")
        }
        guard tensor.shape[0] == rows else {
            throw .shape(field, "has shape \(Shape.describe(tensor.shape)) but its rows must match \(rowsName) = \(rows)")
        }
    }
}
