import HTTPTypes
import NIOCore

/// The binary tensor data extension (Triton's `binary_tensor_data`, adopted by KServe):
/// a body is a JSON inference header of `Inference-Header-Content-Length` bytes, then the
/// raw bytes of every input that declares `parameters.binary_data_size`, back to back in
/// the order the inputs appear in the header. Responses use the same layout for outputs.
enum BinaryTensors {
    /// The header that carries the length of the JSON part.
    static let headerName = HTTPField.Name("Inference-Header-Content-Length")!

    /// Splits `body` into its JSON header and the binary section that follows it.
    ///
    /// Without the header the whole body is JSON and the binary section is empty.
    static func split(_ body: ByteBuffer, headerLength: String?) throws(InferenceError) -> (json: ByteBuffer, binary: ByteBuffer) {
        guard let headerLength else { return (body, ByteBuffer()) }
        guard let length = Int(headerLength), length >= 0 else {
            throw .badRequest("Inference-Header-Content-Length must be a non-negative integer, got '\(headerLength)'.")
        }
        guard length <= body.readableBytes else {
            throw .badRequest("Inference-Header-Content-Length is \(length) but the body has only \(body.readableBytes) bytes.")
        }
        var rest = body
        let json = rest.readSlice(length: length)!
        return (json, rest)
    }

    /// Cuts the binary section into one slice per input that declared a size (`sizes`,
    /// nil for inputs given as JSON `data`), in order, without copying.
    ///
    /// Each size was checked against its shape and datatype before this runs, so a slice
    /// never allocates: a declared size beyond what arrived is a 400, as are bytes left over.
    static func slices(of binary: ByteBuffer, sizes: [(input: String, size: Int?)]) throws(InferenceError) -> [ByteBuffer?] {
        var rest = binary
        var slices: [ByteBuffer?] = []
        slices.reserveCapacity(sizes.count)
        for (input, size) in sizes {
            guard let size else {
                slices.append(nil)
                continue
            }
            guard let slice = rest.readSlice(length: size) else {
                let offset = binary.readableBytes - rest.readableBytes
                throw .badRequest("Input '\(input)' declares binary_data_size \(size) at offset \(offset) of the binary data, but only \(rest.readableBytes) bytes remain (the binary data after the \(headerName) bytes of JSON is \(binary.readableBytes) bytes).")
            }
            slices.append(slice)
        }
        guard rest.readableBytes == 0 else {
            let declared = binary.readableBytes - rest.readableBytes
            throw .badRequest("The body has \(binary.readableBytes) bytes of binary data after the JSON header, but the inputs declare \(declared) in binary_data_size.")
        }
        return slices
    }
}
