@testable import AttentionEngine
@testable import AttentionServer
import Foundation
import GRPCCore
import InferenceGRPC
import NIOPosix
import Testing

/// The loaded model over gRPC, in process: `GRPCInferenceService`'s `ModelInfer`,
/// `ModelMetadata` and `ModelReady` on a real pipeline, against the references.
@Suite struct GRPCTextModelTests {
    /// The service over a pipeline serving the test model, and its engine to shut down.
    static func service(maxWeights: Int = ServerConfiguration().maxWeights) throws -> (GRPCInferenceService, AttentionEngine) {
        var configuration = ServerConfiguration(port: 0, workers: 2, codecThreads: 1)
        configuration.models = [try ServedTestModel.model()]
        configuration.maxWeights = maxWeights
        // Not a test of deadlines: the default 30 s can pass while the whole suite shares two cores.
        configuration.requestTimeout = .seconds(600)
        let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 4))
        let pipeline = InferencePipeline(engine: engine, configuration: configuration, metrics: ServerMetrics(),
                                         connections: ConnectionRegistry(), serialization: SerializationThreads(threads: .singleton))
        let readiness = Readiness()
        readiness.markServing()
        return (GRPCInferenceService(pipeline: pipeline, readiness: readiness), engine)
    }

    static var context: ServerContext {
        ServerContext(descriptor: Inference_GRPCInferenceService.Method.ModelInfer.descriptor, remotePeer: "test", localPeer: "test",
                      cancellation: .init())
    }

    /// `texts` as typed `bytes_contents`, or in `raw_input_contents` with 4-byte length prefixes.
    static func request(_ texts: [String], raw: Bool, outputs: [String] = [], model: String = "minilm") -> Inference_ModelInferRequest {
        var message = Inference_ModelInferRequest()
        message.modelName = model
        message.id = "call"
        var input = Inference_ModelInferRequest.InferInputTensor()
        input.name = "text"
        input.datatype = "BYTES"
        input.shape = [Int64(texts.count)]
        if raw {
            message.rawInputContents = [Data(TextV2.bytes(texts))]
        } else {
            input.contents.bytesContents = texts.map { Data($0.utf8) }
        }
        message.inputs = [input]
        message.outputs = outputs.map { name in
            var output = Inference_ModelInferRequest.InferRequestedOutputTensor()
            output.name = name
            return output
        }
        return message
    }

    static func infer(_ service: GRPCInferenceService, _ message: Inference_ModelInferRequest) async throws -> [(name: String, output: TextV2.Output)] {
        let response = try await service.modelInfer(request: ServerRequest(metadata: [:], message: message), context: context).message
        #expect(response.modelName == "minilm" && response.id == "call")
        #expect(response.outputs.count == response.rawOutputContents.count)
        return zip(response.outputs, response.rawOutputContents).map { tensor, raw in
            (tensor.name, TextV2.Output(datatype: tensor.datatype, shape: tensor.shape.map { Int($0) },
                                        values: TextV2.decode(Array(raw), tensor.datatype)))
        }
    }

    static func status(_ service: GRPCInferenceService, _ message: Inference_ModelInferRequest) async -> (RPCError.Code, String)? {
        do {
            _ = try await service.modelInfer(request: ServerRequest(metadata: [:], message: message), context: context)
            return nil
        } catch let error as RPCError {
            return (error.code, error.message)
        } catch {
            return (.unknown, "\(error)")
        }
    }

    @Test func typedAndRawBytesEqualTheReferences() async throws {
        let (service, engine) = try Self.service()
        for (name, sequences) in try TextModelV2Tests.cases() {
            for raw in [false, true] {
                let outputs = try await Self.infer(service, Self.request(sequences.map(\.text), raw: raw, outputs: TextModelV2Tests.everyOutput))
                #expect(outputs.map(\.name) == TextModelV2Tests.everyOutput)
                try TextModelV2Tests.expectReference(outputs, sequences, "\(name) raw: \(raw)")
            }
        }
        await engine.shutdown()
    }

    @Test func theDefaultOutputsLeaveAttentionsOut() async throws {
        let (service, engine) = try Self.service()
        let outputs = try await Self.infer(service, Self.request(["hello world"], raw: true))
        #expect(outputs.map(\.name) == ["sentence_embedding", "last_hidden_state", "token_ids", "attention_mask"])
        #expect(outputs.map(\.output.datatype) == ["FP32", "FP32", "INT64", "INT64"])
        await engine.shutdown()
    }

    @Test func refusalsHaveTheirCodesAndNameTheField() async throws {
        let (service, engine) = try Self.service(maxWeights: 8000)
        var wrongType = Self.request(["a"], raw: false)
        wrongType.inputs[0].datatype = "FP32"
        wrongType.inputs[0].contents.fp32Contents = [1]
        var badPrefix = Self.request(["ab", "c"], raw: true)
        badPrefix.rawInputContents = [Data(TextV2.bytes(["ab"]) + [9, 0, 0, 0, 0x63])]
        var shortPrefixes = Self.request(["a", "b", "c"], raw: true)
        shortPrefixes.rawInputContents = [Data([1, 0, 0, 0, 0x61])]
        let text = "one two three four five six"
        let cases: [(Inference_ModelInferRequest, RPCError.Code, String)] = [
            (wrongType, .invalidArgument, "Input 'text' must be BYTES, got FP32"),
            (badPrefix, .invalidArgument, "element 1 declares 9 bytes"),
            (shortPrefixes, .invalidArgument, "3 length prefixes alone are 12 bytes, but its raw_input_contents has 5"),
            (Self.request(["a", ""], raw: false), .invalidArgument, "`text.1` is empty"),
            (Self.request([ModelErrorTests.long], raw: true), .invalidArgument, "`text.0` has 302 tokens"),
            (Self.request(Array(repeating: "a", count: 2049), raw: false), .resourceExhausted, "2049 texts"),
            (Self.request([text, text], raw: true, outputs: ["attentions"]), .resourceExhausted, "9216 attention weights"),
            (Self.request([text, text, text], raw: true), .resourceExhausted, "hidden-state elements"),
            (Self.request(["a"], raw: true, outputs: ["pooled"]), .invalidArgument, "no output 'pooled'"),
            (Self.request(["a"], raw: true, model: "minilm2"), .notFound, "minilm"),
        ]
        for (message, code, fragment) in cases {
            let refusal = await Self.status(service, message)
            #expect(refusal?.0 == code, "\(fragment): \(String(describing: refusal))")
            #expect(refusal?.1.contains(fragment) == true, "\(String(describing: refusal))")
        }
        await engine.shutdown()
    }

    @Test func metadataAndReadiness() async throws {
        let (service, engine) = try Self.service()
        var request = Inference_ModelMetadataRequest()
        request.name = "minilm"
        let metadata = try await service.modelMetadata(request: ServerRequest(metadata: [:], message: request), context: Self.context).message
        #expect(metadata.name == "minilm" && metadata.versions == ["1"])
        #expect(metadata.inputs.map { [$0.name, $0.datatype] } == [["text", "BYTES"]] && metadata.inputs[0].shape == [-1])
        #expect(metadata.outputs.map(\.name) == TextModelV2Tests.everyOutput)
        #expect(metadata.outputs.map(\.datatype) == ["FP32", "FP32", "FP32", "INT64", "INT64"])
        #expect(metadata.outputs[2].shape == [-1, 6, 12, -1, -1])
        var ready = Inference_ModelReadyRequest()
        ready.name = "minilm"
        #expect(try await service.modelReady(request: ServerRequest(metadata: [:], message: ready), context: Self.context).message.ready)
        ready.name = "nope"
        await #expect(throws: RPCError.self) {
            try await service.modelReady(request: ServerRequest(metadata: [:], message: ready), context: Self.context)
        }
        await engine.shutdown()
    }
}
