import AttentionEngine
import TensorJSON

/// Explains why a JSON value is not the rectangular array a tensor field needs: the first
/// element of the wrong type, or the first row whose length differs (ragged rows),
/// with a pointer to it.
enum TensorShapeDiagnosis {
    /// The element type a tensor field holds.
    enum Leaf {
        case number, bool

        var name: String { self == .number ? "a number" : "a boolean" }
    }

    static func problem(for value: JSONValue, field: String, at pointer: JSONPointer, leaf: Leaf, expected: String) -> Problem {
        switch value {
        case .array, .numbers, .bools:
            if let (where_, why) = firstFault(in: value, at: pointer, leaf: leaf) {
                return Problem(.invalidRequest, detail: "`\(field)`: \(why)", pointer: where_.description)
            }
        default:
            break
        }
        return Problem(.invalidRequest, detail: "`\(field)` must be \(expected), got \(value.kindDescription).",
                       pointer: pointer.description)
    }

    private static func firstFault(in value: JSONValue, at pointer: JSONPointer, leaf: Leaf) -> (JSONPointer, String)? {
        switch value {
        case .numbers:
            return leaf == .number ? nil : (pointer, "expected booleans at \(pointer), got \(value.kindDescription) (masks are true/false).")
        case .bools:
            return leaf == .bool ? nil : (pointer, "expected numbers at \(pointer), got \(value.kindDescription).")
        case .number:
            return leaf == .number ? nil : (pointer, "expected \(leaf.name) at \(pointer), got a number.")
        case .bool:
            return leaf == .bool ? nil : (pointer, "expected \(leaf.name) at \(pointer), got a boolean.")
        case .array(let children):
            for (index, child) in children.enumerated() {
                if let fault = firstFault(in: child, at: pointer.appending(index: [index]), leaf: leaf) { return fault }
            }
            // Every child is well typed, so the children disagree in shape: ragged rows.
            let shapes = children.map(shape(of:))
            if let odd = shapes.firstIndex(where: { $0 != shapes[0] }) {
                let first = pointer.appending(index: [0])
                let other = pointer.appending(index: [odd])
                return (other, "ragged array: \(other) has \(describe(shapes[odd])) but \(first) has \(describe(shapes[0])); every row must have the same length.")
            }
            return nil
        case .null, .string, .object:
            return (pointer, "expected \(leaf.name) at \(pointer), got \(value.kindDescription).")
        }
    }

    private static func shape(of value: JSONValue) -> [Int] {
        switch value {
        case .numbers(let array): array.shape
        case .bools(let array): array.shape
        case .array(let children): [children.count]
        default: []
        }
    }

    private static func describe(_ shape: [Int]) -> String {
        shape.isEmpty ? "a single value" : "shape \(Shape.describe(shape))"
    }
}
