// Fuzzes the decoding of Open Inference Protocol gRPC requests, as `ModelInfer` runs it once
// the transport has a message: SwiftProtobuf's parse of `ModelInferRequest`, then
// GRPCInferenceRequest (raw and typed contents, parameters) and the model's checks into an
// engine job.
//
// Input: the first byte picks the model (in `Mechanism.all` order); the rest is the serialized
// message. Checked: each message either becomes a job or is refused with 400 (or 413 for
// weights over the budget) and a message; the size GRPCInferenceService checks first is
// never negative; BYTES inputs that parse hold what they declare.
@testable import AttentionServer
import FuzzSupport
import Glibc
import InferenceGRPC

let budget = WeightsBudget(maxWeights: ServerConfiguration().maxWeights)

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let selector = input.first else { return 0 }
    let model = Mechanism.all[Int(selector) % Mechanism.all.count]
    guard let message = try? Inference_ModelInferRequest(serializedBytes: Array(input.dropFirst())) else { return 0 }
    precondition(GRPCInferenceRequest.tensorBytes(message) >= 0)
    // BYTES tensors (typed bytes_contents or length-prefixed raw contents): what parses holds
    // exactly the elements its shape declares, in no more bytes than the message.
    if let request = try? GRPCInferenceRequest.read(message) {
        for tensor in request.inputs {
            guard case .byteStrings(let strings) = tensor.values else { continue }
            precondition(strings.count == tensor.shape.reduce(1, *), "BYTES element count differs from the shape")
            precondition(strings.storage.count <= size, "BYTES elements hold more bytes than the message")
        }
    }
    do {
        _ = try GRPCCodec(mechanism: model, budget: budget).decode(message)
    } catch {
        precondition(error.status == .badRequest || error.status == .contentTooLarge, "unexpected status \(error.status)")
        precondition(!error.message.isEmpty, "empty message")
    }
    return 0
}

exit(runLibFuzzer(fuzzOneInput))
