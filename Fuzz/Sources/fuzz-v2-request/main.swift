// Fuzzes the decoding of Open Inference Protocol requests, as `POST /v2/models/…/infer`
// runs it after the body arrived: the binary tensor splitter (`Inference-Header-Content-Length`,
// `binary_data_size`), the JSON header, the inputs and outputs, and the model's engine job.
//
// Input: the first byte picks the model (in `Mechanism.all` order); then one line holding the
// Inference-Header-Content-Length value (an empty line: no such header); the rest is the
// body. Checked: each body either becomes a job or is refused with 400 (or 413 for
// weights over the budget) and a message; BYTES inputs that parse hold what they declare.
@testable import AttentionServer
import FuzzSupport
import Glibc
import NIOCore

let budget = WeightsBudget(maxWeights: ServerConfiguration().maxWeights)
let newline = UInt8(ascii: "\n")

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let selector = input.first else { return 0 }
    let model = Mechanism.all[Int(selector) % Mechanism.all.count]
    let rest = input.dropFirst()
    let lineEnd = rest.firstIndex(of: newline) ?? rest.endIndex
    let headerLine = rest[..<lineEnd]
    let headerLength = headerLine.isEmpty ? nil : String(decoding: headerLine, as: UTF8.self)
    let body = ByteBuffer(bytes: rest[min(lineEnd + 1, rest.endIndex)...])

    precondition(InferenceRequest.parsingCost(of: body, headerLength: headerLength) <= body.readableBytes)
    // BYTES tensors (the models' texts, JSON strings or length-prefixed binary): what parses holds
    // exactly the elements its shape declares, in no more bytes than the body.
    if let request = try? InferenceRequest.parse(body, headerLength: headerLength) {
        checkByteStrings(request, bodyBytes: body.readableBytes)
    }
    do {
        _ = try V2Codec(mechanism: model, budget: budget, headerLength: headerLength).decode(body)
    } catch {
        precondition(error.status == .badRequest || error.status == .contentTooLarge, "unexpected status \(error.status)")
        precondition(!error.message.isEmpty, "empty message")
    }
    return 0
}

func checkByteStrings(_ request: InferenceRequest, bodyBytes: Int) {
    for input in request.inputs {
        guard case .byteStrings(let strings) = input.values else { continue }
        precondition(strings.count == input.shape.reduce(1, *), "BYTES element count differs from the shape")
        precondition(strings.storage.count <= bodyBytes, "BYTES elements hold more bytes than the body")
    }
}

exit(runLibFuzzer(fuzzOneInput))
