import AttentionEngine
import AttentionModels
import TensorJSON

/// A model of `--model` as a v2 (Open Inference Protocol) model, on REST and gRPC alike.
///
/// Input `text`, BYTES `[N]`: N texts, each UTF-8. Parameter `truncate` (bool) cuts a text
/// longer than the model takes instead of refusing it. Outputs, padded to the request's
/// longest text (T tokens, `[CLS]` and `[SEP]` included):
/// - `sentence_embedding` FP32 `[N, E]`: pooled and normalised as the folder says (what
///   `/v1/embeddings` and `sentence-transformers` give);
/// - `last_hidden_state` FP32 `[N, T, E]`;
/// - `attentions` FP32 `[N, layers, heads, T, T]`, every layer's post-softmax weights
///   (`transformers`' `output_attentions=True`), computed only when asked for, within `--max-weights`;
/// - `token_ids` and `attention_mask` INT64 `[N, T]` (padding id and 0 past a text's end).
///
/// A request without `outputs` gets all of them but `attentions` (``defaultOutputs``), which
/// grow with T² and are seldom wanted with embeddings. The checks and their messages are
/// the REST model endpoints' own (``ModelRequest``).
struct TextModel: V2Model {
    let served: ServedModel
    let maxWeights: Int

    /// The outputs, in metadata order.
    enum Output: String, CaseIterable, Sendable {
        case sentenceEmbedding = "sentence_embedding"
        case lastHiddenState = "last_hidden_state"
        case attentions
        case tokenIds = "token_ids"
        case attentionMask = "attention_mask"
    }

    /// What a request without `outputs` gets: every output but `attentions`.
    static let defaultOutputs = Output.allCases.filter { $0 != .attentions }
    /// The one input.
    static let input = "text"
    /// The request parameters read (besides ``InferenceRequest/protocolParameters``).
    static let parameters = ["truncate"]

    /// The outputs selected, and the token ids of each text (for `token_ids` and `attention_mask`).
    struct Selection: Sendable {
        let outputs: [(output: Output, binary: Bool)]
        let tokenIds: [[Int]]
    }

    var name: String { served.name }
    var label: String { "model:\(served.name)" }

    var metadata: Metadata.Model {
        Metadata.Model(name: served.name,
                       inputs: [Metadata.Tensor(name: Self.input, datatype: .bytes, shape: [-1])],
                       outputs: Output.allCases.map { output in
                           Metadata.Tensor(name: output.rawValue, datatype: output.datatype,
                                           shape: output.shape(served.model.configuration))
                       })
    }

    func decode(_ request: InferenceRequest) throws(InferenceError) -> (work: ForwardPass, selection: Selection) {
        let truncate = try self.truncate(request.parameters)
        let texts = try self.texts(request.inputs)
        let outputs = try SelectedOutputs.select(request.outputs, among: Output.allCases.map(\.rawValue),
                                                 defaults: Self.defaultOutputs.map(\.rawValue), model: name,
                                                 binaryDefault: request.binaryDataOutput)
            .map { name, binary in (output: Output(rawValue: name)!, binary: binary) }
        var batch: [TokenizedText] = []
        batch.reserveCapacity(texts.count)
        do {
            for (index, text) in texts.enumerated() {
                batch.append(try ModelRequest.tokenize(text, model: served, truncate: truncate, pointer: Self.pointer(index)))
            }
            try ModelRequest.checkSize(batch, model: served, maxWeights: maxWeights)
        } catch {
            throw InferenceError(error)
        }
        var pass = ForwardPass(model: served, batch: batch)
        if outputs.contains(where: { $0.output == .attentions }) {
            let layers = served.model.configuration.layers
            do throws(Problem) {
                try ModelRequest.checkAttentionWeights(texts: batch.count, layers: layers, tokens: batch.map(\.ids.count).max() ?? 0,
                                                       model: served, maxWeights: maxWeights,
                                                       advice: "Leave `attentions` out of `outputs`, send fewer or shorter texts",
                                                       pointer: "/outputs")
            } catch {
                throw InferenceError(error)
            }
            pass.attentionLayers = Set(0..<layers)
        }
        return (pass, Selection(outputs: outputs, tokenIds: batch.map(\.ids)))
    }

    /// `truncate`, false unless given.
    private func truncate(_ parameters: JSONObject) throws(InferenceError) -> Bool {
        do throws(Problem) {
            let object = try RequestObject(.object(parameters), known: Self.parameters, at: JSONPointer.root.appending("parameters"))
            return try object.bool("truncate") ?? false
        } catch {
            throw InferenceError(parameter: error)
        }
    }

    /// The texts of input `text`: BYTES `[N]` (or `[N, 1]`), 1 to ``ModelRequest/maxTexts`` non-empty UTF-8 strings.
    private func texts(_ inputs: [InputTensor]) throws(InferenceError) -> [String] {
        let expected = "BYTES [N], one UTF-8 text per element"
        if let other = inputs.first(where: { $0.name != Self.input }) {
            throw .badRequest("Model '\(name)' has no input '\(other.name)'. Its input is '\(Self.input)', \(expected).")
        }
        guard let input = inputs.first else { throw .badRequest("Model '\(name)' needs input '\(Self.input)': \(expected).") }
        guard input.datatype == .bytes, case .byteStrings(let strings) = input.values else {
            throw .badRequest("Input '\(Self.input)' must be BYTES, got \(input.datatype.rawValue).")
        }
        // [N, 1] too: Triton's batched form, where each row of a batch holds one text.
        guard input.shape.count == 1 || (input.shape.count == 2 && input.shape[1] == 1) else {
            throw .badRequest("Input '\(Self.input)' must have shape [N] or [N, 1] (one text per element), got \(Shape.describe(input.shape)).")
        }
        guard !strings.isEmpty else {
            throw .badRequest("Input '\(Self.input)' must not be empty, got shape \(Shape.describe(input.shape)); send at least one text.")
        }
        var texts: [String] = []
        do throws(Problem) {
            try ModelRequest.checkCount(strings.count, pointer: JSONPointer.root.appending(Self.input))
            texts.reserveCapacity(strings.count)
            for index in strings.indices {
                guard let text = strings.text(at: index) else {
                    throw Problem(.invalidRequest, detail: "`\(Self.input).\(index)` is not valid UTF-8; a text is UTF-8 bytes.",
                                  pointer: Self.pointer(index).description)
                }
                texts.append(try ModelRequest.nonEmpty(text, pointer: Self.pointer(index)))
            }
        } catch {
            throw InferenceError(error)
        }
        return texts
    }

    /// Where text `index` is, as messages name it: `text.2`.
    private static func pointer(_ index: Int) -> JSONPointer {
        JSONPointer.root.appending(input).appending(index: [index])
    }

    func outputs(_ result: BertModel.Output, _ selection: Selection) -> [ResponseTensor] {
        let n = result.lengths.count, t = result.lastHiddenState.shape[1]
        return selection.outputs.map { output, binary in
            let (shape, values): ([Int], ResponseTensor.Values) = switch output {
            case .sentenceEmbedding: (result.sentenceEmbeddings.shape, .floats(result.sentenceEmbeddings.scalars))
            case .lastHiddenState: (result.lastHiddenState.shape, .floats(result.lastHiddenState.scalars))
            case .attentions: Self.attentions(result)
            case .tokenIds: ([n, t], .integers(selection.tokenIds.flatMap { ids in
                ids + Array(repeating: served.model.tokenizer.paddingId, count: t - ids.count)
            }))
            case .attentionMask: ([n, t], .integers(result.lengths.flatMap { length in
                Array(repeating: 1, count: length) + Array(repeating: 0, count: t - length)
            }))
            }
            return ResponseTensor(name: output.rawValue, shape: shape, values: values, binary: binary)
        }
    }

    /// From the shapes: the attentions are not gathered twice.
    func outputSizes(_ result: BertModel.Output, _ selection: Selection) -> [(bytes: Int, binary: Bool)] {
        let n = result.lengths.count, t = result.lastHiddenState.shape[1]
        let attentions = result.attentions.compactMap { $0 }.reduce(0) { $0 + $1.scalars.count }
        return selection.outputs.map { output, binary in
            let bytes = switch output {
            case .sentenceEmbedding: 4 * result.sentenceEmbeddings.scalars.count
            case .lastHiddenState: 4 * result.lastHiddenState.scalars.count
            case .attentions: 4 * attentions
            case .tokenIds, .attentionMask: 8 * n * t
            }
            return (bytes, binary)
        }
    }

    /// `[N, layers, heads, T, T]` from each layer's `[N, heads, T, T]` (every layer was computed
    /// with its weights when `attentions` was selected).
    private static func attentions(_ result: BertModel.Output) -> ([Int], ResponseTensor.Values) {
        let layers = result.attentions.compactMap { $0 }
        guard let first = layers.first else { return ([result.lengths.count, 0, 0, 0, 0], .floats([])) }
        let n = first.shape[0], block = first.scalars.count / max(n, 1)
        var values: [Float] = []
        values.reserveCapacity(first.scalars.count * layers.count)
        for b in 0..<n {
            for layer in layers { values.append(contentsOf: layer.scalars[b * block..<(b + 1) * block]) }
        }
        return ([n, layers.count] + first.shape.dropFirst(), .floats(values))
    }
}

extension TextModel.Output {
    var datatype: Datatype {
        switch self {
        case .sentenceEmbedding, .lastHiddenState, .attentions: .fp32
        case .tokenIds, .attentionMask: .int64
        }
    }

    /// The metadata shape for a model of `configuration`: -1 for N and T, which vary by request.
    func shape(_ configuration: BertConfiguration) -> [Int] {
        switch self {
        case .sentenceEmbedding: [-1, configuration.hiddenSize]
        case .lastHiddenState: [-1, -1, configuration.hiddenSize]
        case .attentions: [-1, configuration.layers, configuration.heads, -1, -1]
        case .tokenIds, .attentionMask: [-1, -1]
        }
    }
}
