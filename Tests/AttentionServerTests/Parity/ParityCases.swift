@testable import AttentionServer
import Foundation

/// One request of the parity test, written once in the terms of a ``Mechanism``
/// description and sent through v1 and v2 by ``ParityCase/v1Body`` and ``ParityCase/v2Request``.
struct ParityCase: CustomStringConvertible, @unchecked Sendable {  // immutable
    /// A tensor: its shape and row-major elements (numbers, booleans or integers).
    struct Value: @unchecked Sendable {
        let shape: [Int]
        let elements: [Any]
    }

    let mechanism: Mechanism
    let tensors: [String: Value]
    /// Options as v1 writes them (`window: [l, r]`, `rope: {…}`); v2 spells them as parameters.
    let options: [String: Any]
    /// `nil`: the default weights; otherwise v1's `return_weights` (a flag or a head mode).
    let weights: String?

    var description: String {
        let named = tensors.keys.sorted() + options.keys.sorted() + (weights.map { ["weights: \($0)"] } ?? [])
        return "\(mechanism.name) [\(named.joined(separator: ", "))]"
    }

    // MARK: v1

    /// The JSON body of `POST mechanism.path`.
    var v1Body: [String: Any] {
        var body: [String: Any] = [:]
        for (name, value) in tensors {
            body[name] = mechanism.tensor(named: name)?.kind == .integer ? value.elements : Self.nest(value.elements, value.shape)
        }
        for (name, value) in options { body[name] = value }
        if let weights { body["return_weights"] = weights == "false" ? false as Any : weights }
        return body
    }

    /// Row-major elements nested to `shape`.
    private static func nest(_ elements: [Any], _ shape: [Int]) -> Any {
        guard shape.count > 1 else { return elements }
        let stride = elements.count / shape[0]
        return (0..<shape[0]).map { nest(Array(elements[$0 * stride..<($0 + 1) * stride]), Array(shape.dropFirst())) }
    }

    // MARK: v2

    /// The inference request of `POST /v2/models/{name}/infer`: JSON data, every output.
    var v2Request: [String: Any] {
        let inputs: [[String: Any]] = tensors.keys.sorted().map { name in
            let value = tensors[name]!
            let datatype = switch mechanism.tensor(named: name)!.kind {
            case .float: "FP32"
            case .bool: "BOOL"
            case .integer: "INT32"
            }
            return ["name": name, "shape": value.shape, "datatype": datatype, "data": value.elements]
        }
        var parameters: [String: Any] = [:]
        for (name, value) in options {
            switch name {
            case "window":
                let bounds = value as! [Int]
                parameters["window_left"] = bounds[0]
                parameters["window_right"] = bounds[1]
            case "rope":
                parameters["rope"] = true
                for (member, setting) in value as! [String: Any] { parameters["rope_" + member] = setting }
            default:
                parameters[name] = value
            }
        }
        var outputs = mechanism.outputs.map(\.name)
        switch weights {
        case "false", "none": outputs.removeAll { $0 == "weights" || $0 == "cross_weights" }
        case "per_head": parameters["weights_mode"] = "per_head"
        default: break
        }
        return ["inputs": inputs, "parameters": parameters, "outputs": outputs.map { ["name": $0] }]
    }
}

/// Every mechanism with each of its tensors and options, one variation at a time.
enum ParityCases {
    /// Deterministic numbers in (−1, 1), different for each `seed`.
    static func numbers(_ shape: [Int], seed: Int) -> ParityCase.Value {
        let count = shape.reduce(1, *)
        return .init(shape: shape, elements: (0..<count).map { sin(Double(seed * 131 + $0 * 7) + 0.5) })
    }

    static func mask(_ shape: [Int]) -> ParityCase.Value {
        let count = shape.reduce(1, *)
        // Mostly true, never a whole row false: every query keeps a key.
        return .init(shape: shape, elements: (0..<count).map { $0 % shape.last! != 1 })
    }

    static func integers(_ values: [Int]) -> ParityCase.Value {
        .init(shape: [values.count], elements: values)
    }

    /// The cases of `mechanism`: a base request, then the base with each variation added.
    static func cases(_ mechanism: Mechanism, base: [String: ParityCase.Value], baseOptions: [String: Any] = [:],
                      tensors: [[String: ParityCase.Value]] = [], options: [[String: Any]] = [],
                      weights: [String] = []) -> [ParityCase] {
        var cases = [ParityCase(mechanism: mechanism, tensors: base, options: baseOptions, weights: nil)]
        for extra in tensors {
            cases.append(ParityCase(mechanism: mechanism, tensors: base.merging(extra) { $1 }, options: baseOptions, weights: nil))
        }
        for extra in options {
            cases.append(ParityCase(mechanism: mechanism, tensors: base, options: baseOptions.merging(extra) { $1 }, weights: nil))
        }
        for mode in weights {
            cases.append(ParityCase(mechanism: mechanism, tensors: base, options: baseOptions, weights: mode))
        }
        return cases
    }

    static let all: [ParityCase] = scaledDotProduct + multiHead + additive + local + positionalEncoding + encoderLayer + decoderLayer

    static let scaledDotProduct = cases(
        .scaledDotProduct,
        base: ["query": numbers([1, 2, 3, 4], seed: 1), "key": numbers([1, 2, 5, 4], seed: 2), "value": numbers([1, 2, 5, 3], seed: 3)],
        tensors: [["mask": mask([3, 5])], ["bias": numbers([3, 5], seed: 4)], ["key_lengths": integers([4])],
                  ["global_tokens": integers([0])], ["alibi_slopes": numbers([2], seed: 5)]],
        options: [["scale": 0.3], ["causal": true], ["causal": true, "causal_alignment": "bottom_right"], ["window": [1, 1]],
                  ["mode": "hard"], ["rope": ["base": 500.0, "layout": "half", "offset": 2]], ["alibi": true], ["softcap": 2.5]],
        weights: ["false"])

    static let multiHead: [ParityCase] = {
        let base = ["query": numbers([1, 3, 4], seed: 11), "key": numbers([1, 5, 4], seed: 12), "value": numbers([1, 5, 4], seed: 13),
                    "w_q": numbers([4, 4], seed: 14), "w_k": numbers([4, 4], seed: 15), "w_v": numbers([4, 4], seed: 16)]
        let grouped = ParityCase(mechanism: .multiHead,
                                 tensors: base.merging(["w_k": numbers([4, 2], seed: 17), "w_v": numbers([4, 2], seed: 18)]) { $1 },
                                 options: ["num_heads": 2, "num_kv_heads": 1], weights: nil)
        return cases(.multiHead, base: base, baseOptions: ["num_heads": 2],
                     tensors: [["w_o": numbers([4, 3], seed: 19)], ["b_q": numbers([4], seed: 20)], ["b_k": numbers([4], seed: 21)],
                               ["b_v": numbers([4], seed: 22)], ["w_o": numbers([4, 3], seed: 19), "b_o": numbers([3], seed: 23)],
                               ["mask": mask([3, 5])],
                               ["key_lengths": integers([4])], ["alibi_slopes": numbers([2], seed: 24)]],
                     options: [["scale": 0.7], ["causal": true], ["causal": true, "causal_alignment": "bottom_right"],
                               ["window": [1, 2]], ["rope": ["base": 100.0]], ["alibi": true], ["softcap": 3.0]],
                     weights: ["per_head", "none"]) + [grouped]
    }()

    static let additive = cases(
        .additive,
        base: ["query": numbers([1, 3, 4], seed: 31), "key": numbers([1, 5, 3], seed: 32), "w_query": numbers([4, 6], seed: 33),
               "w_key": numbers([3, 6], seed: 34), "v": numbers([6], seed: 35)],
        tensors: [["value": numbers([1, 5, 2], seed: 36)], ["bias": numbers([6], seed: 37)], ["mask": mask([3, 5])],
                  ["key_lengths": integers([3])]],
        options: [["causal": true], ["causal": true, "causal_alignment": "bottom_right"], ["mode": "hard"]],
        weights: ["false"])

    static let local: [ParityCase] = {
        let base = ["query": numbers([1, 3, 4], seed: 41), "key": numbers([1, 6, 4], seed: 42)]
        let predictive = ["w_p": numbers([4, 5], seed: 43), "v_p": numbers([5], seed: 44)]
        return cases(.luongLocal, base: base, baseOptions: ["half_window": 1],
                     tensors: [["value": numbers([1, 6, 2], seed: 45)], ["mask": mask([3, 6])], ["key_lengths": integers([5])]],
                     options: [["causal": true], ["causal": true, "causal_alignment": "bottom_right"], ["mode": "hard"],
                               ["alignment": "monotonic", "score": "dot"]],
                     weights: ["false"])
            + [ParityCase(mechanism: .luongLocal, tensors: base.merging(predictive) { $1 },
                          options: ["half_window": 2, "alignment": "predictive"], weights: nil),
               ParityCase(mechanism: .luongLocal, tensors: base.merging(["w_a": numbers([4, 4], seed: 46)]) { $1 },
                          options: ["half_window": 1, "score": "general"], weights: nil),
               ParityCase(mechanism: .luongLocal,
                          tensors: base.merging(["w_a": numbers([8, 5], seed: 47), "v_a": numbers([5], seed: 48)]) { $1 },
                          options: ["half_window": 1, "score": "concat"], weights: nil)]
    }()

    static let positionalEncoding = cases(
        .positionalEncoding, base: [:], baseOptions: ["length": 5, "dim": 6],
        tensors: [["add_to": numbers([5, 6], seed: 51)]], options: [["base": 100.0]])

    static let layerBase = ["input": numbers([1, 3, 4], seed: 61), "w_q": numbers([4, 4], seed: 62), "w_k": numbers([4, 4], seed: 63),
                            "w_v": numbers([4, 4], seed: 64), "w_1": numbers([4, 6], seed: 65), "w_2": numbers([6, 4], seed: 66)]

    static func layerTensors(norms: Int, prefixes: [String]) -> [[String: ParityCase.Value]] {
        var extras: [[String: ParityCase.Value]] = [["b_1": numbers([6], seed: 67)], ["b_2": numbers([4], seed: 68)],
                                                    ["mask": mask([3, 3])], ["key_lengths": integers([2])]]
        for prefix in prefixes {
            extras += [[prefix + "w_o": numbers([4, 4], seed: 69)], [prefix + "b_q": numbers([4], seed: 70)],
                       [prefix + "b_k": numbers([4], seed: 71)], [prefix + "b_v": numbers([4], seed: 72)],
                       [prefix + "w_o": numbers([4, 4], seed: 69), prefix + "b_o": numbers([4], seed: 73)]]
        }
        for n in 1...norms {
            extras += [["ln\(n)_gamma": numbers([4], seed: 74 + n)], ["ln\(n)_beta": numbers([4], seed: 78 + n)]]
        }
        return extras
    }

    nonisolated(unsafe) static let layerOptions: [[String: Any]] = [
        ["activation": "gelu"], ["eps": 1e-3], ["norm_first": true], ["causal": true],
        ["causal": true, "causal_alignment": "bottom_right"], ["num_kv_heads": 2], ["window": [1, 0]],
    ]

    static let encoderLayer = cases(
        .encoderLayer, base: layerBase, baseOptions: ["num_heads": 2],
        tensors: layerTensors(norms: 2, prefixes: [""]), options: layerOptions, weights: ["per_head", "none"])

    static let decoderLayer: [ParityCase] = {
        let cross = ["memory": numbers([1, 5, 4], seed: 91), "cross_w_q": numbers([4, 4], seed: 92),
                     "cross_w_k": numbers([4, 4], seed: 93), "cross_w_v": numbers([4, 4], seed: 94)]
        return cases(.decoderLayer, base: layerBase.merging(cross) { $1 }, baseOptions: ["num_heads": 2],
                     tensors: layerTensors(norms: 3, prefixes: ["", "cross_"])
                        + [["memory_mask": mask([3, 5])], ["memory_key_lengths": integers([4])]],
                     options: layerOptions, weights: ["per_head", "none"])
    }()
}
