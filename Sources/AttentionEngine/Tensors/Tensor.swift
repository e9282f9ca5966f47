/// A dense, row-major tensor of `Float` (the engine stores and computes in Float32).
///
/// The last dimension is contiguous: element `[i, j, k]` of a `[A, B, C]` tensor is
/// `scalars[(i * B + j) * C + k]`.
public struct Tensor: Sendable, Equatable {
    /// The size of each dimension, outermost first.
    public let shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public internal(set) var scalars: [Float] {
        didSet { magnitudeBits = nil }  // no longer the elements measured
    }
    /// The bit pattern of the largest |x| (as `ak_max_abs_bits`), once ``measured()`` found it.
    /// Every request validates the weights it is given, and a model's weights are the same on
    /// every request: BERT-small's 22 M were scanned four times per forward pass, more time than
    /// its matrix products at batch 1. Kept with the elements, so a changed tensor is measured anew.
    private(set) var magnitudeBits: UInt32?

    /// Wraps `scalars` as a tensor of `shape`.
    /// - Throws: ``AttentionError`` when a dimension is negative or the count disagrees.
    public init(shape: [Int], scalars: [Float], field: String = "tensor") throws(AttentionError) {
        guard let count = Shape.elementCount(shape), count == scalars.count else {
            throw .shape(field, "has shape \(Shape.describe(shape)) but \(scalars.count) elements")
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of zeros. Internal: sizes come from validated problems only.
    init(zeros shape: [Int]) {
        self.shape = shape
        self.scalars = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    init(uncheckedShape shape: [Int], scalars: [Float]) {
        self.shape = shape
        self.scalars = scalars
    }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// This tensor, with its largest |x| found now and kept, so that validating it again (on
    /// each request that passes it, e.g. a model's weights) reads it instead of the elements.
    public func measured() -> Tensor {
        var copy = self
        copy.magnitudeBits = Magnitude.bits(self)
        return copy
    }

    /// The same shape and elements (whether measured or not).
    public static func == (a: Tensor, b: Tensor) -> Bool {
        a.shape == b.shape && a.scalars == b.scalars
    }
}

/// A dense, row-major tensor of booleans, used for masks: `true` means "may attend".
public struct BoolTensor: Sendable, Equatable {
    /// The size of each dimension, outermost first.
    public let shape: [Int]
    /// The elements in row-major order.
    public let values: [Bool]

    /// Wraps `values` as a tensor of `shape`.
    /// - Throws: ``AttentionError`` when the count disagrees with the shape.
    public init(shape: [Int], values: [Bool], field: String = "mask") throws(AttentionError) {
        guard let count = Shape.elementCount(shape), count == values.count else {
            throw .shape(field, "has shape \(Shape.describe(shape)) but \(values.count) elements")
        }
        self.shape = shape
        self.values = values
    }
}

/// Shape arithmetic shared by validation, the kernels and the engine's callers.
public enum Shape {
    /// The product of the dimensions, or nil when one is negative or the product overflows.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    /// `[2, 3, 4]` as people write it.
    public static func describe(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }

    /// The row-major multi-index of flat position `flat` in `shape`.
    public static func index(ofFlat flat: Int, in shape: [Int]) -> [Int] {
        var rest = flat
        var index = [Int](repeating: 0, count: shape.count)
        for axis in shape.indices.reversed() where shape[axis] > 0 {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return index
    }
}

extension BoolTensor {
    /// The number of dimensions.
    public var rank: Int { shape.count }
}
