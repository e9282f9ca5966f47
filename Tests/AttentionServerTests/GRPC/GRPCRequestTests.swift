@testable import AttentionEngine
@testable import AttentionServer
import Foundation
import GRPCCore
import InferenceGRPC
import Testing

/// The gRPC form read into the REST form: the same checks, the same jobs.
@Suite struct GRPCRequestTests {
    static let budget = WeightsBudget(maxWeights: 1 << 20)

    static func input(_ name: String, _ datatype: String, _ shape: [Int64]) -> Inference_ModelInferRequest.InferInputTensor {
        var input = Inference_ModelInferRequest.InferInputTensor()
        input.name = name
        input.datatype = datatype
        input.shape = shape
        return input
    }

    static func bytes(_ values: [Float]) -> Data {
        values.withUnsafeBytes { Data($0) }
    }

    /// SmallProblem in raw_input_contents, causal.
    static var small: Inference_ModelInferRequest {
        var message = Inference_ModelInferRequest()
        message.modelName = "scaled_dot_product_attention"
        message.id = "call-1"
        message.inputs = [input("query", "FP32", [1, 2]), input("key", "FP32", [2, 2]), input("value", "FP32", [2, 1])]
        message.rawInputContents = [bytes([1, 0]), bytes([1, 0, 0, 1]), bytes([1, 2])]
        var causal = Inference_InferParameter()
        causal.boolParam = true
        message.parameters = ["causal": causal]
        return message
    }

    @Test func rawContentsBecomeTheRESTFormsRequest() throws {
        let request = try GRPCInferenceRequest.read(Self.small)
        #expect(request.id == "call-1")
        #expect(request.inputs.map(\.name) == ["query", "key", "value"])
        guard case .floats(let key) = request.inputs[1].values else { Issue.record("key is not floats"); return }
        #expect(key == [1, 0, 0, 1] && request.inputs[1].shape == [2, 2])
        #expect(request.parameters["causal"] == .bool(true))
        let decoded = try GRPCCodec(mechanism: .scaledDotProduct, budget: Self.budget).decode(Self.small)
        guard case .dotProduct(_, _, _, let options) = decoded.job else { Issue.record("not a dot-product job"); return }
        #expect(options.masking.causal == .topLeft && options.returnWeights)
    }

    @Test func typedContentsAndEveryParameterKind() throws {
        var message = Self.small
        message.rawInputContents = []
        message.inputs[0].contents.fp32Contents = [1, 0]
        message.inputs[1].contents.fp64Contents = [1, 0, 0, 1]
        message.inputs[2].datatype = "FP64"
        message.inputs[2].contents.fp64Contents = [1, 2]
        var scale = Inference_InferParameter(), window = Inference_InferParameter(), mode = Inference_InferParameter()
        scale.doubleParam = 0.5
        window.int64Param = 1
        mode.stringParam = "hard"
        message.inputs[1].datatype = "FP64"
        message.parameters["scale"] = scale
        message.parameters["window_left"] = window
        message.parameters["mode"] = mode
        let decoded = try GRPCCodec(mechanism: .scaledDotProduct, budget: Self.budget).decode(message)
        guard case .dotProduct(_, let key, let value, let options) = decoded.job else { Issue.record("not a dot-product job"); return }
        #expect(key.scalars == [1, 0, 0, 1] && value.scalars == [1, 2])
        #expect(options.scale == 0.5 && options.mode == .hard && options.masking.window?.left == 1)
    }

    @Test func outputsAreSelectedAndWeightsOnlyWhenAsked() throws {
        var message = Self.small
        var output = Inference_ModelInferRequest.InferRequestedOutputTensor()
        output.name = "output"
        message.outputs = [output]
        let decoded = try GRPCCodec(mechanism: .scaledDotProduct, budget: Self.budget).decode(message)
        #expect(decoded.outputs.selected.map(\.name) == ["output"])
        guard case .dotProduct(_, _, _, let options) = decoded.job else { Issue.record("not a dot-product job"); return }
        #expect(!options.returnWeights)
    }

    @Test func badMessagesAreRefusedNamingTheInput() {
        func refusal(_ change: (inout Inference_ModelInferRequest) -> Void) -> String {
            var message = Self.small
            change(&message)
            do {
                _ = try GRPCCodec(mechanism: .scaledDotProduct, budget: Self.budget).decode(message)
                return "accepted"
            } catch {
                return error.status == .badRequest ? error.message : "status \(error.status)"
            }
        }
        #expect(refusal { $0.rawInputContents.removeLast() }.contains("3 inputs"))
        #expect(refusal { $0.rawInputContents[1] = Self.bytes([1, 0, 0]) }.contains("raw_input_contents has 12"))
        #expect(refusal { $0.inputs[0].shape = [1 << 40, 1 << 40] }.contains("'query'"))
        #expect(refusal { $0.inputs[0].shape = [-1, 2] }.contains("non-negative"))
        #expect(refusal { $0.inputs[2].datatype = "STRING" }.contains("datatype 'STRING'"))
        #expect(refusal { $0.inputs[1].name = "query" }.contains("appears twice"))
        #expect(refusal { $0.parameters["casual"] = $0.parameters["causal"] }.contains("casual"))
        #expect(refusal { message in
            message.rawInputContents = []
            message.inputs[0].contents.fp32Contents = [1]
        }.contains("has 1 elements in its contents but its shape holds 2"))
    }

    @Test func theAnswerIsRawLittleEndianFloats() throws {
        let codec = GRPCCodec(mechanism: .scaledDotProduct, budget: Self.budget)
        let decoded = try codec.decode(Self.small)
        let output = try Tensor(shape: [1, 1], scalars: [1.5])
        let weights = try Tensor(shape: [1, 2], scalars: [1, 0])
        let response = codec.encode(AttentionResult(output: output, weights: weights), decoded)
        #expect(response.id == "call-1" && response.modelName == "scaled_dot_product_attention" && response.modelVersion == "1")
        #expect(response.outputs.map(\.name) == ["output", "weights"] && response.outputs[1].shape == [1, 2])
        #expect(response.rawOutputContents == [Self.bytes([1.5]), Self.bytes([1, 0])])
    }

    @Test func grpcTimeoutsAndStatuses() {
        #expect(GRPCTimeout.parse("250m") == .milliseconds(250))
        #expect(GRPCTimeout.parse("2S") == .seconds(2) && GRPCTimeout.parse("1H") == .seconds(3600))
        #expect(GRPCTimeout.parse("100") == nil && GRPCTimeout.parse("m") == nil && GRPCTimeout.parse("123456789S") == nil)
        #expect(GRPCStatus.error(InferenceError.badRequest("x"), deadlinePassed: false).code == .invalidArgument)
        #expect(GRPCStatus.error(InferenceError.unknownModel("x"), deadlinePassed: false).code == .notFound)
        #expect(GRPCStatus.error(Problem(.overloaded, detail: "full"), deadlinePassed: false).code == .resourceExhausted)
        #expect(GRPCStatus.error(Problem(.weightsTooLarge, detail: "big"), deadlinePassed: false).code == .resourceExhausted)
        #expect(GRPCStatus.error(Problem(.deadlineExceeded, detail: "late"), deadlinePassed: true).code == .deadlineExceeded)
        #expect(GRPCStatus.error(CancellationError(), deadlinePassed: true).code == .deadlineExceeded)
        #expect(GRPCStatus.error(CancellationError(), deadlinePassed: false).code == .cancelled)
    }
}
