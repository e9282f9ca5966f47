@testable import AttentionServer
import Hummingbird
import Testing

/// Requests that are valid JSON but unusual in size: many names to check for duplicates,
/// field names megabytes long. Each is decoded in time linear in its size (measured in
/// BENCHMARKS.md, "Pathological inputs"; the list searches these replaced took hours for a
/// 64 MiB body) and answered with the right error.
@Suite struct PathologicalRequestTests {
    static let query = #"{"name":"query","datatype":"FP32","shape":[1,1],"data":[1]}"#

    static func request(inputs: [String], outputs: [String]) -> ByteBuffer {
        ByteBuffer(string: #"{"inputs":["# + inputs.joined(separator: ",") + #"],"outputs":["#
                   + outputs.map { #"{"name":"\#($0)"}"# }.joined(separator: ",") + "]}")
    }

    @Test func manyDistinctOutputsAreReadInOrder() throws {
        let names = (0..<50_000).map { "o\($0)" }
        let request = try InferenceRequest.parse(Self.request(inputs: [Self.query], outputs: names), headerLength: nil)
        #expect(request.outputs?.map(\.name) == names)
    }

    @Test func aRepeatedOutputAmongManyIsNamed() {
        let names = (0..<50_000).map { "o\($0)" } + ["o7"]
        #expect {
            try InferenceRequest.parse(Self.request(inputs: [Self.query], outputs: names), headerLength: nil)
        } throws: { error in
            (error as? InferenceError)?.message == "Output 'o7' appears twice in `outputs`."
        }
    }

    @Test func manyDistinctInputsAreReadInOrderAndARepeatedOneIsNamed() throws {
        let inputs = (0..<20_000).map { #"{"name":"i\#($0)","datatype":"BOOL","shape":[0],"data":[]}"# }
        let request = try InferenceRequest.parse(Self.request(inputs: inputs, outputs: []), headerLength: nil)
        #expect(request.inputs.map(\.name) == (0..<20_000).map { "i\($0)" })
        #expect {
            try InferenceRequest.parse(Self.request(inputs: inputs + [inputs[3]], outputs: []), headerLength: nil)
        } throws: { error in
            (error as? InferenceError)?.message == "Input 'i3' appears twice in `inputs`."
        }
    }

    @Test func aMegabyteLongUnknownFieldGetsNoSuggestion() {
        let known = ["query", "key", "value", "causal", "causal_alignment"]
        #expect(NameSuggestion.closest(to: String(repeating: "causal", count: 200_000), in: known) == nil)
        // Typos stay suggested up to the allowed distance (a third of the name), length included.
        #expect(NameSuggestion.closest(to: "casual", in: known) == "causal")
        #expect(NameSuggestion.closest(to: "causalxxx", in: known) == "causal")
        #expect(NameSuggestion.closest(to: "causalxxxx", in: known) == nil)
        #expect(NameSuggestion.closest(to: "Query", in: known) == "query")
    }
}
