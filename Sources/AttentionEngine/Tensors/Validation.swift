/// Checks shared by every mechanism's validation.
enum Validate {
    /// Throws `.nonFinite` naming the first NaN or infinite element of `tensor`.
    static func finite(_ tensor: Tensor, _ field: String) throws(AttentionError) {
        let firstBad: Int? = tensor.scalars.withUnsafeBufferPointer { buffer in
            // Summing `x * 0` is NaN exactly when some x is NaN or ±inf: one fast pass, then a search.
            var probe: Float = 0
            for x in buffer { probe += x * 0 }
            guard !probe.isFinite else { return nil }
            return buffer.firstIndex { !$0.isFinite }
        }
        if let flat = firstBad {
            let index = Shape.index(ofFlat: flat, in: tensor.shape)
            let value = tensor.scalars[flat]
            throw AttentionError(
                kind: .nonFinite, field: field, index: index,
                message: "`\(field)` has a non-finite value (\(value)) at index \(Shape.describe(index))")
        }
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
