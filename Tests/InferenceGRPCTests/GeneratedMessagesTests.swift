import Foundation
import GRPCCore
import InferenceGRPC
import SwiftProtobuf
import Testing

/// The generated code of Protos/ compiles, encodes and decodes, and keeps the published
/// field numbers and method paths (what tritonclient and KServe clients depend on).
@Suite("Generated OIP and health messages")
struct GeneratedMessagesTests {
    /// Little-endian bytes of FP32 values, as OIP's raw tensor contents carry them.
    static func rawFP32(_ values: [Float]) -> Data {
        var data = Data(capacity: values.count * 4)
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    static func parameter(_ choice: Inference_InferParameter.OneOf_ParameterChoice) -> Inference_InferParameter {
        var parameter = Inference_InferParameter()
        parameter.parameterChoice = choice
        return parameter
    }

    @Test("ModelInferRequest with raw_input_contents survives serializedData and init(serializedBytes:)")
    func modelInferRequestRoundTrip() throws {
        let query = Self.rawFP32([1, -2.5, 0.125, 3e-8, 65504, -0.0])
        let key = Self.rawFP32([0.5, 0.25, 1e10, -1, 2, 4])

        var request = Inference_ModelInferRequest()
        request.modelName = "attention"
        request.modelVersion = "1"
        request.id = "req-42"
        request.parameters = [
            "causal": Self.parameter(.boolParam(true)),
            "heads": Self.parameter(.int64Param(-2)),
            "mode": Self.parameter(.stringParam("scaled_dot_product")),
            "scale": Self.parameter(.doubleParam(0.125)),
            "seed": Self.parameter(.uint64Param(UInt64.max)),
        ]
        for (name, shape) in [("query", [Int64(1), 2, 3]), ("key", [1, 2, 3])] {
            var input = Inference_ModelInferRequest.InferInputTensor()
            input.name = name
            input.datatype = "FP32"
            input.shape = shape
            request.inputs.append(input)
        }
        var output = Inference_ModelInferRequest.InferRequestedOutputTensor()
        output.name = "output"
        output.parameters = ["binary_data": Self.parameter(.boolParam(true))]
        request.outputs = [output]
        request.rawInputContents = [query, key]

        let data: Data = try request.serializedData()
        let decoded = try Inference_ModelInferRequest(serializedBytes: data)

        #expect(decoded == request)
        #expect(decoded.modelName == "attention")
        #expect(decoded.modelVersion == "1")
        #expect(decoded.id == "req-42")
        #expect(decoded.inputs.map(\.name) == ["query", "key"])
        #expect(decoded.inputs.map(\.datatype) == ["FP32", "FP32"])
        #expect(decoded.inputs.map(\.shape) == [[1, 2, 3], [1, 2, 3]])
        #expect(decoded.inputs.allSatisfy { !$0.hasContents })
        #expect(decoded.outputs.map(\.name) == ["output"])
        #expect(decoded.outputs.first?.parameters["binary_data"]?.boolParam == true)
        #expect(decoded.rawInputContents == [query, key])
        #expect(decoded.rawInputContents.map(\.count) == [24, 24])
        #expect(decoded.parameters["causal"]?.parameterChoice == .boolParam(true))
        #expect(decoded.parameters["heads"]?.parameterChoice == .int64Param(-2))
        #expect(decoded.parameters["mode"]?.parameterChoice == .stringParam("scaled_dot_product"))
        #expect(decoded.parameters["scale"]?.parameterChoice == .doubleParam(0.125))
        #expect(decoded.parameters["seed"]?.parameterChoice == .uint64Param(UInt64.max))

        // The FP32 values read back bit for bit from the raw bytes.
        let floats = decoded.rawInputContents[0].withUnsafeBytes { raw in
            (0..<6).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
        #expect(floats.map(\.bitPattern) == [1, -2.5, 0.125, 3e-8, 65504, -0.0].map { Float($0).bitPattern })
    }

    @Test("Field numbers on the wire are the published ones")
    func wireBytes() throws {
        var request = Inference_ModelInferRequest()
        request.modelName = "m"                      // field 1, length-delimited: 0x0A
        request.id = "i"                             // field 3: 0x1A
        request.rawInputContents = [Data([1, 2])]    // field 7: 0x3A
        let requestBytes: [UInt8] = try request.serializedBytes()
        #expect(requestBytes == [0x0A, 1, 0x6D, 0x1A, 1, 0x69, 0x3A, 2, 1, 2])

        var response = Inference_ModelInferResponse()
        var tensor = Inference_ModelInferResponse.InferOutputTensor()
        tensor.name = "o"                            // field 1 of InferOutputTensor: 0x0A
        tensor.shape = [2]                           // field 3, packed: 0x1A
        var contents = Inference_InferTensorContents()
        contents.fp32Contents = [1]                  // field 6 of InferTensorContents, packed: 0x32
        tensor.contents = contents                   // field 5 of InferOutputTensor: 0x2A
        response.outputs = [tensor]                  // field 5: 0x2A
        response.rawOutputContents = [Data([9])]     // field 6: 0x32
        let responseBytes: [UInt8] = try response.serializedBytes()
        #expect(responseBytes == [
            0x2A, 14,
            0x0A, 1, 0x6F,
            0x1A, 1, 2,
            0x2A, 6, 0x32, 4, 0x00, 0x00, 0x80, 0x3F,
            0x32, 1, 9,
        ])

        var parameter = Inference_InferParameter()
        parameter.doubleParam = 1                    // field 4, 64-bit: 0x21
        #expect(try parameter.serializedBytes() as [UInt8] == [0x21, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
        parameter.uint64Param = 1                    // field 5, varint: 0x28
        #expect(try parameter.serializedBytes() as [UInt8] == [0x28, 1])

        var health = Grpc_Health_V1_HealthCheckResponse()
        health.status = .serviceUnknown
        #expect(try health.serializedBytes() as [UInt8] == [0x08, 3])
        #expect(Grpc_Health_V1_HealthCheckResponse.ServingStatus.allCases.map(\.rawValue) == [0, 1, 2, 3])
    }

    @Test("Method paths match what tritonclient, KServe and health clients call")
    func methodPaths() {
        let inference = Inference_GRPCInferenceService.Method.self
        #expect(Inference_GRPCInferenceService.Method.descriptors.map(\.fullyQualifiedMethod) == [
            "inference.GRPCInferenceService/ServerLive",
            "inference.GRPCInferenceService/ServerReady",
            "inference.GRPCInferenceService/ModelReady",
            "inference.GRPCInferenceService/ServerMetadata",
            "inference.GRPCInferenceService/ModelMetadata",
            "inference.GRPCInferenceService/ModelInfer",
        ])
        #expect(inference.ModelInfer.descriptor.type == .unary)
        #expect(Grpc_Health_V1_Health.Method.descriptors.map(\.fullyQualifiedMethod) == [
            "grpc.health.v1.Health/Check",
            "grpc.health.v1.Health/Watch",
        ])
        #expect(Grpc_Health_V1_Health.Method.Watch.descriptor.type == .serverStreaming)
    }
}
