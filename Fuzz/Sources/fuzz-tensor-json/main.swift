// Fuzzes TensorJSON's reader (as the server calls it) and, for what parses, its writer.
//
// Checked for every input, beyond "no trap and no memory error" (AddressSanitizer):
// - a rejection carries a position inside the input and a message;
// - a tensor's flat values match its shape, and `tensorMismatch()` does not trap;
// - what parses writes back to text that parses to the same value. Two exceptions:
//   out-of-range numbers, stored as infinity, are written as null (there the second
//   reading must be stable instead); and `allIntegers`, which describes the text (a tiny
//   `1e-50` is not an integer, the float 0 it becomes is), is not compared.
import FuzzSupport
import Glibc
import TensorJSON

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    let value: JSONValue
    do {
        value = try JSONReader().parse(bytes)
    } catch {
        precondition((0...size).contains(error.offset) && error.line >= 1 && error.column >= 1 && !error.message.isEmpty,
                     "malformed error \(error)")
        return 0
    }
    checkShapes(value)
    _ = value.tensorMismatch()
    let reread = writeAndReparse(value)
    if withoutIntegerFlags(reread) != withoutIntegerFlags(value) {
        precondition(containsNonFinite(value), "the written text reads back differently")
        precondition(writeAndReparse(reread) == reread, "the written text of the written text reads back differently")
    }
    return 0
}

func writeAndReparse(_ value: JSONValue) -> JSONValue {
    var writer = JSONWriter()
    writer.value(value)
    do {
        return try JSONReader().parse(writer.bytes)
    } catch {
        preconditionFailure("the writer's output does not parse: \(error)")
    }
}

/// Every tensor holds as many values as its shape says.
func checkShapes(_ value: JSONValue) {
    switch value {
    case .numbers(let array): precondition(array.values.count == array.shape.reduce(1, *), "shape \(array.shape) with \(array.values.count) values")
    case .bools(let array): precondition(array.values.count == array.shape.reduce(1, *), "shape \(array.shape) with \(array.values.count) values")
    case .array(let elements): elements.forEach(checkShapes)
    case .object(let object): object.members.forEach { checkShapes($0.value) }
    case .null, .bool, .number, .string: break
    }
}

/// `value` with every tensor's `allIntegers` cleared.
func withoutIntegerFlags(_ value: JSONValue) -> JSONValue {
    switch value {
    case .numbers(let array):
        .numbers(NumericArray(shape: array.shape, values: array.values,
                              firstOutOfFloatRange: array.firstOutOfFloatRange, allIntegers: false))
    case .array(let elements): .array(elements.map(withoutIntegerFlags))
    case .object(let object): .object(JSONObject(members: object.members.map { ($0.key, withoutIntegerFlags($0.value)) }))
    case .null, .bool, .number, .string, .bools: value
    }
}

/// Whether a number is ±infinity (a literal beyond the range of its storage).
func containsNonFinite(_ value: JSONValue) -> Bool {
    switch value {
    case .number(let number): !number.isFinite
    case .numbers(let array): array.values.contains { !$0.isFinite }
    case .array(let elements): elements.contains(where: containsNonFinite)
    case .object(let object): object.members.contains { containsNonFinite($0.value) }
    case .null, .bool, .string, .bools: false
    }
}

exit(runLibFuzzer(fuzzOneInput))
