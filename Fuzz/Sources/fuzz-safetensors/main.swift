// Fuzzes the safetensors reader (AttentionModels) on the input as a whole file.
//
// Checked for every input, beyond "no trap and no memory error" (AddressSanitizer):
// - a rejection is a ModelError naming the file, with a message;
// - an accepted file's tensors lie inside the data section, none overlapping, and cover it;
//   each one's byte count is its element count times its dtype's size;
// - every tensor reads as numbers (F32, F16, BF16) into exactly its shape's element count,
//   all finite, or is refused with a ModelError naming it.
import FuzzSupport
import Glibc
@testable import AttentionModels

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    let file: SafetensorsFile
    do {
        file = try SafetensorsFile(path: "fuzz.safetensors", contents: bytes)
    } catch {
        precondition(error.file == "fuzz.safetensors" && !error.message.isEmpty, "malformed error \(error)")
        return 0
    }
    var covered = 0
    for info in file.tensors.values.sorted(by: { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound) }) {
        precondition(info.dataOffsets.lowerBound == covered, "tensors overlap or leave a hole")
        covered = info.dataOffsets.upperBound
        precondition(info.dataOffsets.count == info.shape.reduce(1, *) * info.dtype.size, "byte count and shape disagree")
    }
    for (name, info) in file.tensors {
        do {
            let raw = try file.bytes(of: name)
            precondition(raw.count == info.dataOffsets.count)
            let tensor = try file.tensor(name)
            precondition(tensor.shape == info.shape && tensor.scalars.count == info.shape.reduce(1, *))
            precondition(tensor.scalars.allSatisfy(\.isFinite))
        } catch {
            precondition(error.tensor == name && !error.message.isEmpty, "malformed error \(error)")
        }
    }
    return 0
}

exit(runLibFuzzer(fuzzOneInput))
