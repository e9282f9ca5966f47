// Fuzzes the decoding of v1 request bodies, exactly as `POST /v1/attention…` runs it
// (TensorJSON, then the mechanism's description read field by field into an engine job).
//
// Input: the first byte picks the mechanism (in `Mechanism.all` order: 0 attention,
// 1 multi-head, 2 additive, then local, positional encoding and the layers); the rest is
// the body. Checked: each body either becomes a job or is refused with a problem of the
// three kinds a body can cause, with a detail and a well-formed JSON pointer.
@testable import AttentionServer
import FuzzSupport
import Glibc
import NIOCore

let budget = WeightsBudget(maxWeights: ServerConfiguration().maxWeights)

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let selector = input.first else { return 0 }
    let mechanism = Mechanism.all[Int(selector) % Mechanism.all.count]
    let body = ByteBuffer(bytes: input.dropFirst())
    do {
        _ = try V1Codec(mechanism: mechanism, budget: budget).decode(body)
    } catch {
        precondition([.malformedJSON, .invalidRequest, .weightsTooLarge].contains(error.kind), "unexpected \(error.kind)")
        precondition(!error.detail.isEmpty, "empty detail")
        if let pointer = error.pointer {
            precondition(pointer.isEmpty || pointer.hasPrefix("/"), "malformed pointer \(pointer)")
        }
    }
    return 0
}

exit(runLibFuzzer(fuzzOneInput))
