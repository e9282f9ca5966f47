import AttentionModels
import Foundation
import Hummingbird
import TensorJSON

/// `POST /v1/embeddings`, the request and answer of the OpenAI embeddings API:
/// `{"model", "input": text | [text], "encoding_format": "float" | "base64"}` →
/// `{"object": "list", "data": [{"object": "embedding", "index", "embedding"}], "model", "usage"}`,
/// the sentence embeddings pooled and normalised as the model folder says (what
/// `sentence-transformers` `encode()` returns). `"truncate": true` cuts long texts instead of
/// refusing them; `user` is accepted and ignored; `dimensions` must be the model's own.
struct EmbeddingsCodec: ModelCodec {
    let models: [ServedModel]
    let maxWeights: Int

    enum Encoding: String, CaseIterable {
        case float, base64
    }

    struct Decoded: Sendable {
        let model: String
        let encoding: Encoding
        let promptTokens: Int
    }

    static let fields = ["model", "input", "encoding_format", "truncate", "user", "dimensions"]

    func decode(_ body: ByteBuffer) throws(Problem) -> (pass: ForwardPass, decoded: Decoded) {
        let request = try RequestObject(try ModelRequest.parse(body), known: Self.fields)
        let name = try ModelRequest.text(request, "model")
        let model = try ModelRequest.model(name, in: models, pointer: "/model")
        let encoding = try request.choice("encoding_format", of: Encoding.self) ?? .float
        let truncate = try request.bool("truncate") ?? false
        switch request.object["user"] {
        case nil, .string?: break
        case let value?: throw request.invalid("user", "`user` must be a string, got \(value.kindDescription).")
        }
        let width = model.model.configuration.hiddenSize
        if let dimensions = try request.integer("dimensions", in: 1...Int(Int32.max)), dimensions != width {
            throw request.invalid("dimensions", "`dimensions` must be \(width), the embedding size of model `\(name)`, got \(dimensions).")
        }
        let texts = try Self.texts(request)
        var batch: [TokenizedText] = []
        batch.reserveCapacity(texts.count)
        for (index, text) in texts.enumerated() {
            let pointer = texts.count == 1 && !Self.isArray(request) ? request.pointer.appending("input")
                : request.pointer.appending("input").appending(index: [index])
            batch.append(try ModelRequest.tokenize(text, model: model, truncate: truncate, pointer: pointer))
        }
        try ModelRequest.checkSize(batch, model: model, maxWeights: maxWeights)
        return (ForwardPass(model: model, batch: batch),
                Decoded(model: name, encoding: encoding, promptTokens: batch.reduce(0) { $0 + $1.ids.count }))
    }

    private static func isArray(_ request: RequestObject) -> Bool {
        switch request.object["input"] {
        case .array?, .numbers?, .bools?: true
        default: false
        }
    }

    /// `input`: one string or an array of 1 to ``ModelRequest/maxTexts`` strings.
    private static func texts(_ request: RequestObject) throws(Problem) -> [String] {
        let expected = "a non-empty string or an array of non-empty strings"
        guard let value = request.object["input"] else { throw request.missing("input", expected: expected) }
        let wrong = request.invalid("input", "`input` must be \(expected), got \(value.kindDescription).")
        let pointer = request.pointer.appending("input")
        let elements: [JSONValue]
        switch value {
        case .array(let array):
            elements = array
        case .numbers(let array) where array.shape == [0]:
            elements = []
        case .numbers, .bools:
            // Token ids, which the OpenAI API also takes: ids of another tokenizer would mean nothing here.
            throw Problem(.invalidRequest, detail: "`input` must hold strings (texts, not token ids), got \(value.kindDescription).",
                          pointer: pointer.appending(index: [0]).description)
        default:
            return [try ModelRequest.text(value, wrong, pointer: pointer)]
        }
        guard !elements.isEmpty else { throw request.invalid("input", "`input` is an empty array; send at least one text.") }
        try ModelRequest.checkCount(elements.count, pointer: pointer)
        var texts: [String] = []
        for (index, element) in elements.enumerated() {
            let at = pointer.appending(index: [index])
            let wrongElement = Problem(.invalidRequest, detail: "`input` must hold strings, got \(element.kindDescription) at [\(index)].",
                                       pointer: at.description)
            texts.append(try ModelRequest.text(element, wrongElement, pointer: at))
        }
        return texts
    }

    /// About 12 bytes a number in JSON, 4/3 of 4 in base64.
    func encodingCost(_ output: BertModel.Output, _ decoded: Decoded) -> Int {
        output.sentenceEmbeddings.scalars.count * (decoded.encoding == .float ? 12 : 6)
    }

    func encode(_ output: BertModel.Output, _ decoded: Decoded) -> HTTPAnswer {
        let embeddings = output.sentenceEmbeddings, width = embeddings.shape[1]
        var writer = JSONWriter(reservingCapacity: encodingCost(output, decoded) + 256)
        writer.beginObject()
        writer.key("object")
        writer.string("list")
        writer.key("data")
        writer.beginArray()
        for index in 0..<embeddings.shape[0] {
            let vector = embeddings.scalars[index * width..<(index + 1) * width]
            writer.beginObject()
            writer.key("object")
            writer.string("embedding")
            writer.key("index")
            writer.integer(index)
            writer.key("embedding")
            switch decoded.encoding {
            case .float:
                writer.tensor(shape: [width], values: Array(vector))
            case .base64:
                // Little-endian Float32, as the OpenAI API sends and its client decodes.
                let bytes = vector.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
                writer.string(Data(bytes).base64EncodedString())
            }
            writer.endObject()
        }
        writer.endArray()
        writer.key("model")
        writer.string(decoded.model)
        writer.key("usage")
        writer.beginObject()
        writer.key("prompt_tokens")
        writer.integer(decoded.promptTokens)
        writer.key("total_tokens")
        writer.integer(decoded.promptTokens)
        writer.endObject()
        writer.endObject()
        return HTTPAnswer(body: ByteBuffer(bytes: writer.bytes), headers: [.contentType: "application/json"])
    }
}
