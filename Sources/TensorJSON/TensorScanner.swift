/// The fast path for arrays: parses a rectangular array of numbers (or of booleans)
/// straight into flat storage, inferring the shape as it goes.
///
/// It accepts only brackets, commas, whitespace, numbers and `true`/`false`. On anything
/// else, or when the array proves ragged or mixed, it gives up and tells the reader which
/// of the arrays it had open are certainly not tensors; the reader parses those with the
/// general path and retries this one on their children. So a ragged matrix becomes an
/// `.array` of `.numbers` rows, and each byte is scanned a bounded number of times.
/// Syntax errors are left to the general path, which words them; only malformed number
/// tokens throw here (the general path would throw the same error at the same place).
struct TensorScanner {
    /// What a scan found.
    enum Outcome {
        case numbers(NumericArray, end: Int)
        case bools(BoolArray, end: Int)
        /// Not a rectangular array of one leaf kind. `nonTensorStarts` are the start
        /// offsets of arrays that are certainly not tensors themselves; the scan read the
        /// input up to `stoppedAt`.
        case notATensor(nonTensorStarts: [Int], stoppedAt: Int)
    }

    private enum LeafKind { case unknown, numbers, bools }

    private let input: Input
    /// How many arrays may be open at once before the reader's depth limit is exceeded.
    private let depthBudget: Int

    /// An array that is open: where its `[` is and how many elements it has so far.
    /// Counts and extents cannot overflow: each element takes at least one byte of the input.
    private struct OpenArray {
        let start: Int
        var count = 0
    }

    /// A dimension: its extent (-1 until the first array at that depth closes), and the
    /// offset where that became known.
    private struct Dimension {
        var extent = -1
        var origin: Int
    }

    /// The open arrays, outermost first.
    private var open: [OpenArray] = []
    private var dimensions: [Dimension] = []
    /// The depth of the arrays holding the leaves, once known, and where it was learnt.
    private var rank = 0
    private var rankOrigin = 0
    private var kind = LeafKind.unknown
    private var kindOrigin = 0

    private var numbers: [Float] = []
    /// Numbers not yet in `numbers`: they gather on the stack and join it ``pendingCapacity``
    /// at a time, so a tensor of up to that many numbers is one allocation of its exact
    /// size rather than a series of growths (appended one by one, each also paid a call
    /// into the runtime for the array's uniqueness check).
    private let pending: UnsafeMutablePointer<Float>
    private var pendingCount = 0
    private static let pendingCapacity = 256
    private var bools: [Bool] = []
    private var firstOutOfFloatRange: Int?
    private var allIntegers = true

    /// Scans the array whose `[` is at `start`, allowing `depthBudget` levels of nesting
    /// (including this array).
    static func scan(_ input: Input, at start: Int, depthBudget: Int) throws(JSONParseError) -> Outcome {
        try withUnsafeTemporaryAllocation(of: Float.self, capacity: pendingCapacity) { pending throws(JSONParseError) in
            var scanner = TensorScanner(input: input, depthBudget: depthBudget, pending: pending.baseAddress!)
            return try scanner.run(from: start)
        }
    }

    private init(input: Input, depthBudget: Int, pending: UnsafeMutablePointer<Float>) {
        self.input = input
        self.depthBudget = depthBudget
        self.pending = pending
        // Most tensors are matrices or batches of them: no growth below rank 4.
        open.reserveCapacity(4)
        dimensions.reserveCapacity(4)
    }

    private mutating func run(from start: Int) throws(JSONParseError) -> Outcome {
        guard depthBudget >= 1 else { return giveUp(conflictAt: start, stoppedAt: start) }
        push(start)
        var i = input.skipWhitespace(from: start + 1)
        var expectingValue = true  // else expecting ',' or ']'
        var justOpened = true      // a ']' may close an empty array here

        while true {
            let byte = input[i]
            if expectingValue {
                switch byte {
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    if let conflict = acceptLeaf(.numbers, at: i) { return giveUp(conflictAt: conflict, stoppedAt: i) }
                    let (end, another) = try scanNumberRun(from: i)
                    i = end
                    justOpened = false
                    expectingValue = another
                    continue
                case UInt8(ascii: "t"), UInt8(ascii: "f"):
                    let isTrue = byte == UInt8(ascii: "t")
                    guard matchesLiteral(isTrue ? "true" : "false", at: i) else { return giveUp(conflictAt: i, stoppedAt: i) }
                    if let conflict = acceptLeaf(.bools, at: i) { return giveUp(conflictAt: conflict, stoppedAt: i) }
                    bools.append(isTrue)
                    open[open.count - 1].count += 1
                    i += isTrue ? 4 : 5
                    expectingValue = false
                case UInt8(ascii: "["):
                    let depth = open.count + 1
                    if rank != 0 && depth > rank { return giveUp(conflictAt: rankOrigin, stoppedAt: i) }
                    if depth > depthBudget { return giveUp(conflictAt: i, stoppedAt: i) }
                    open[open.count - 1].count += 1
                    push(i)
                    i = input.skipWhitespace(from: i + 1)
                    justOpened = true
                    continue
                case UInt8(ascii: "]") where justOpened:
                    // An empty array holds the leaves' place: the rank is its depth.
                    let depth = open.count
                    if rank == 0 {
                        rank = depth
                        rankOrigin = i
                    } else if rank != depth {
                        return giveUp(conflictAt: rankOrigin, stoppedAt: i)
                    }
                    expectingValue = false
                    continue  // handled as a ']' below
                default:
                    return giveUp(conflictAt: i, stoppedAt: i)
                }
                justOpened = false
                i = input.skipWhitespace(from: i)
            } else {
                switch byte {
                case UInt8(ascii: ","):
                    i = input.skipWhitespace(from: i + 1)
                    expectingValue = true
                    justOpened = false
                case UInt8(ascii: "]"):
                    let depth = open.count
                    let count = open[depth - 1].count
                    if dimensions[depth - 1].extent < 0 {
                        dimensions[depth - 1] = Dimension(extent: count, origin: i)
                    } else if dimensions[depth - 1].extent != count {
                        return giveUp(conflictAt: dimensions[depth - 1].origin, stoppedAt: i)
                    }
                    open.removeLast()
                    justOpened = false
                    if open.isEmpty { return finish(end: i + 1) }
                    i = input.skipWhitespace(from: i + 1)
                default:
                    return giveUp(conflictAt: i, stoppedAt: i)
                }
            }
        }
    }

    /// Opens an array whose `[` is at `offset`.
    private mutating func push(_ offset: Int) {
        open.append(OpenArray(start: offset))
        if dimensions.count < open.count {
            dimensions.append(Dimension(origin: offset))
        }
    }

    /// Checks that a leaf of `leafKind` may appear at the current depth; returns the
    /// offset of the earlier evidence it conflicts with, or nil when it fits.
    private mutating func acceptLeaf(_ leafKind: LeafKind, at offset: Int) -> Int? {
        let depth = open.count
        if rank == 0 {
            rank = depth
            rankOrigin = offset
        } else if rank != depth {
            return rankOrigin
        }
        if kind == .unknown {
            kind = leafKind
            kindOrigin = offset
        } else if kind != leafKind {
            return kindOrigin
        }
        return nil
    }

    /// Reads the numbers of the innermost array from the number at `start` up to the first
    /// byte after them that is not whitespace, `,` or another number, in one loop: the bulk
    /// of a tensor, so the general state machine runs once per row rather than once per
    /// number. The leaf kind and depth were accepted for the first number and hold for the
    /// rest. Returns where it stopped and whether a value is expected there (a `,` was read
    /// and what follows is not a number: the state machine words or accepts it).
    private mutating func scanNumberRun(from start: Int) throws(JSONParseError) -> (end: Int, expectingValue: Bool) {
        var read = 0
        defer { open[open.count - 1].count += read }
        var i = start
        while true {
            let (float, isIntegral, end) = try NumberParser.parseFloat(input, at: i)
            // Out of range means the float overflows: "3.4028235e38", which is how Python and
            // Swift print Float.greatestFiniteMagnitude, is a little above it as a Double but
            // rounds back to it, so it must stay in range.
            if float.isInfinite && firstOutOfFloatRange == nil {
                firstOutOfFloatRange = numbers.count + pendingCount
            }
            if !isIntegral { allIntegers = false }
            if pendingCount == Self.pendingCapacity { flushPending() }
            pending[pendingCount] = float
            pendingCount += 1
            read += 1
            i = input.skipWhitespace(from: end)
            guard input[i] == UInt8(ascii: ",") else { return (i, false) }
            i = input.skipWhitespace(from: i + 1)
            let next = input[i]
            guard next == UInt8(ascii: "-") || (next >= UInt8(ascii: "0") && next <= UInt8(ascii: "9")) else {
                return (i, true)
            }
        }
    }

    /// Moves the pending numbers to `numbers`.
    private mutating func flushPending() {
        numbers.append(contentsOf: UnsafeBufferPointer(start: pending, count: pendingCount))
        pendingCount = 0
    }

    private func matchesLiteral(_ literal: StaticString, at offset: Int) -> Bool {
        let text = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for (k, expected) in text.enumerated() where input[offset + k] != expected {
            return false
        }
        return true
    }

    /// Ends a failed scan. The arrays that began before the conflicting evidence contain
    /// both it and the current position, so they cannot be tensors; arrays that began
    /// after it may still be, and get their own scan.
    private func giveUp(conflictAt origin: Int, stoppedAt position: Int) -> Outcome {
        .notATensor(nonTensorStarts: open.map(\.start).filter { $0 < origin }, stoppedAt: position)
    }

    private mutating func finish(end: Int) -> Outcome {
        flushPending()
        // The shape has one entry per depth down to the leaves' arrays.
        let finalShape = dimensions.prefix(rank).map(\.extent)
        if kind == .bools {
            return .bools(BoolArray(shape: finalShape, values: bools), end: end)
        }
        return .numbers(
            NumericArray(shape: finalShape, values: numbers,
                         firstOutOfFloatRange: firstOutOfFloatRange, allIntegers: allIntegers),
            end: end)
    }
}
