import AttentionTestSupport
import Foundation

/// The engine's extended golden fixtures (Tests/AttentionEngineTests/Fixtures/extended, from
/// float64 NumPy transcriptions of the papers and PyTorch, by scripts/fixtures/extended.py)
/// turned into v1 request bodies and v2 inference requests: each case is an independent
/// computation the service's answer over HTTP must match.
extension FixtureCase {
    /// Every extended case, loaded once.
    static let extended = FixtureCase.load("extended")

    /// The v1 path and v2 model of the mechanism.
    var route: (path: String, model: String) {
        switch mechanism {
        case "scaled_dot_product": ("/v1/attention", "scaled_dot_product_attention")
        case "luong_local": ("/v1/attention/local", "local_attention")
        case "sinusoidal_encoding": ("/v1/positional-encoding", "positional_encoding")
        case "transformer_encoder_layer": ("/v1/transformer/encoder-layer", "transformer_encoder_layer")
        default: ("/v1/transformer/decoder-layer", "transformer_decoder_layer")
        }
    }

    /// The name the answer gives an expected tensor: the encoding is `encoding`, the rest keep theirs.
    func answerName(_ expectedKey: String) -> String {
        mechanism == "sinusoidal_encoding" && expectedKey == "output" ? "encoding" : expectedKey
    }

    /// The v1 body: tensors nested, `causal: "top_left"` as `causal` + `causal_alignment`.
    var v1Body: [String: Any] {
        var body: [String: Any] = [:]
        for (name, tensor) in inputs { body[name] = Self.nested(tensor as! [String: Any]) }
        for (name, value) in options where name != "reference" {
            if let alignment = value as? String, name == "causal" {
                body["causal"] = true
                body["causal_alignment"] = alignment
            } else if let tensor = value as? [String: Any], tensor["shape"] != nil {  // mask, bias; not rope
                body[name] = Self.nested(tensor)
            } else {
                body[name] = value
            }
        }
        return body
    }

    /// The v2 request: tensors (and index lists) as inputs, scalars as parameters, `window`
    /// as `window_left` / `window_right`, `rope` as `rope` + `rope_*`.
    var v2Request: [String: Any] {
        var inputs = self.inputs.map { name, tensor in Self.input(name, tensor as! [String: Any], datatype: "FP32") }
        var parameters: [String: Any] = [:]
        for (name, value) in options where name != "reference" {
            switch (name, value) {
            case ("causal", let alignment as String):
                parameters["causal"] = true
                parameters["causal_alignment"] = alignment
            case ("window", let bounds as [Int]):
                parameters["window_left"] = bounds[0]
                parameters["window_right"] = bounds[1]
            case ("rope", let rope as [String: Any]):
                parameters["rope"] = true
                for (member, setting) in rope { parameters["rope_" + member] = setting }
            case ("alibi_slopes", let slopes as [Double]):
                inputs.append(Self.input(name, ["shape": [slopes.count], "data": slopes], datatype: "FP32"))
            case (_, let integers as [Int]):  // key_lengths, memory_key_lengths, global_tokens
                inputs.append(Self.input(name, ["shape": [integers.count], "data": integers], datatype: "INT32"))
            case (_, let tensor as [String: Any]):
                inputs.append(Self.input(name, tensor, datatype: tensor["data"] is [Bool] ? "BOOL" : "FP32"))
            default:
                parameters[name] = value
            }
        }
        return ["inputs": inputs, "parameters": parameters]
    }

    private static func input(_ name: String, _ tensor: [String: Any], datatype: String) -> [String: Any] {
        ["name": name, "shape": tensor["shape"]!, "datatype": datatype, "data": tensor["data"]!]
    }

    /// Flat row-major `data` as nested arrays of `shape`.
    static func nested(_ tensor: [String: Any]) -> Any {
        let shape = tensor["shape"] as! [Int], data = tensor["data"] as! [Any]
        func build(_ offset: Int, _ axis: Int) -> Any {
            guard axis < shape.count - 1 else { return Array(data[offset..<(offset + shape[axis])]) }
            let stride = shape[(axis + 1)...].reduce(1, *)
            return (0..<shape[axis]).map { build(offset + $0 * stride, axis + 1) }
        }
        return shape.isEmpty ? data : build(0, 0)
    }
}
