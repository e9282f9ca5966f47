import AttentionModels
import Hummingbird
import TensorJSON

/// What every model endpoint checks before it tokenizes or computes: the body's JSON, the
/// model's name, the texts and their tokens, and the size of the batch.
enum ModelRequest {
    /// Most texts in one request (the OpenAI embeddings API's own limit).
    static let maxTexts = 2048

    /// The body as one JSON value: 400 when it is not JSON.
    static func parse(_ body: ByteBuffer) throws(Problem) -> JSONValue {
        let parsed = body.withUnsafeReadableBytes { bytes in
            Result { () throws(JSONParseError) -> JSONValue in try JSONReader().parse(bytes) }
        }
        switch parsed {
        case .success(let document):
            return document
        case .failure(let error):
            let detail = body.readableBytes == 0 ? "The request body is empty; send a JSON object."
                : "The body is not valid JSON: \(error.message) at line \(error.line), column \(error.column) (byte \(error.offset))."
            throw Problem(.malformedJSON, detail: detail)
        }
    }

    /// The model called `name`, or 404 naming the models there are.
    static func model(_ name: String, in models: [ServedModel], pointer: String? = nil) throws(Problem) -> ServedModel {
        if let model = models.first(where: { $0.name == name }) { return model }
        let loaded = models.isEmpty ? "No model is loaded (start the server with --model NAME=PATH)."
            : "Loaded: \(models.map(\.name).joined(separator: ", "))."
        throw Problem(.notFound, detail: "There is no model `\(name)`. \(loaded)", pointer: pointer)
    }

    /// A required, non-empty string member.
    static func text(_ request: RequestObject, _ name: String) throws(Problem) -> String {
        guard let value = request.object[name] else { throw request.missing(name, expected: "a non-empty string") }
        return try text(value, request.invalid(name, "`\(name)` must be a non-empty string."), pointer: request.pointer.appending(name))
    }

    /// `value` as a non-empty string; `wrong` when it is not a string.
    static func text(_ value: JSONValue, _ wrong: Problem, pointer: JSONPointer) throws(Problem) -> String {
        guard case .string(let text) = value else { throw wrong }
        return try nonEmpty(text, pointer: pointer)
    }

    /// `text`, refused when empty, naming the field at `pointer`.
    static func nonEmpty(_ text: String, pointer: JSONPointer) throws(Problem) -> String {
        guard !text.isEmpty else {
            throw Problem(.invalidRequest, detail: "`\(pointer.tokens.joined(separator: "."))` is empty; a text needs at least one character.",
                          pointer: pointer.description)
        }
        return text
    }

    /// 413 when a request sends more than ``maxTexts`` texts (in the field at `pointer`).
    static func checkCount(_ count: Int, pointer: JSONPointer) throws(Problem) {
        guard count > maxTexts else { return }
        throw Problem(.tooManyInputs,
                      detail: "`\(pointer.tokens.joined(separator: "."))` has \(count) texts, more than \(maxTexts) per request. Split them over several requests.",
                      pointer: pointer.description)
    }

    /// Tokenizes a text (and its pair): 422 naming the count when it has more tokens than the
    /// model takes, unless `truncate` asks to cut it to the model's length.
    static func tokenize(_ text: String, pair: String? = nil, model: ServedModel, truncate: Bool,
                         pointer: JSONPointer) throws(Problem) -> TokenizedText {
        let limit = model.maxTokens
        let tokens = model.model.tokenizer.encode(text, pair: pair, maxLength: truncate ? limit : nil)
        guard tokens.ids.count <= limit else {
            throw Problem(.invalidRequest,
                          detail: "`\(pointer.tokens.joined(separator: "."))` has \(tokens.ids.count) tokens, more than model `\(model.name)` takes (\(limit), [CLS] and [SEP] included). Shorten it, or send \"truncate\": true to cut it to \(limit).",
                          pointer: pointer.description)
        }
        return tokens
    }

    /// 413 when the attention weights of `layers` layers (every head of each) over `texts`
    /// texts of up to `tokens` tokens pass `--max-weights`; `advice` says what to send instead.
    static func checkAttentionWeights(texts: Int, layers: Int, tokens t: Int, model: ServedModel, maxWeights: Int,
                                      advice: String, pointer: String) throws(Problem) {
        let heads = model.model.configuration.heads
        let computed = WeightsBudget.count([texts, layers, heads, t, t])
        guard computed > maxWeights else { return }
        let batch = texts == 1 ? "" : "\(texts) texts × "
        throw Problem(.weightsTooLarge,
                      detail: "\(batch)\(layers) layers of \(heads) heads over \(t) tokens make \(computed) attention weights, more than --max-weights \(maxWeights). \(advice), or raise --max-weights (ATTENTION_MAX_WEIGHTS).",
                      pointer: pointer)
    }

    /// 413 when the batch, padded to its longest text, would hold more hidden-state elements
    /// (texts × tokens × hidden size) than `--max-weights` allows.
    static func checkSize(_ batch: [TokenizedText], model: ServedModel, maxWeights: Int) throws(Problem) {
        let longest = batch.map(\.ids.count).max() ?? 0
        let elements = WeightsBudget.count([batch.count, longest, model.model.configuration.hiddenSize])
        guard elements > maxWeights else { return }
        throw Problem(.tooManyInputs,
                      detail: "\(batch.count) texts of up to \(longest) tokens make \(elements) hidden-state elements, more than --max-weights \(maxWeights). Send fewer or shorter texts per request, or raise --max-weights (ATTENTION_MAX_WEIGHTS).",
                      pointer: "/input")
    }
}
