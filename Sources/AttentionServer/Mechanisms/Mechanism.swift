import AttentionEngine

/// One attention mechanism as every front end serves it, described once: its tensors, its
/// scalar options, its outputs and the function from the values read to an ``EngineJob``.
///
/// v1 reads the description from a JSON body (``V1Arguments``), v2 from inputs and
/// parameters (``V2Arguments``), and v2 model metadata is derived from it. A front end
/// knows how its protocol spells tensors and options; it knows nothing of a mechanism.
/// Adding a mechanism is one description (``Mechanism/all``) and its engine function.
struct Mechanism: Sendable {
    /// The v2 model name: `scaled_dot_product_attention`.
    let name: String
    /// The v1 path: `/v1/attention`.
    let path: String
    /// The label of its jobs in the metrics (the v1 path's last word): `attention`.
    let label: String
    /// One line for `GET /`.
    let summary: String
    let tensors: [TensorField]
    let options: [OptionField]
    /// The answer's tensors, in order; each is written when the result has it.
    let outputs: [OutputField]
    /// How a client asks for the attention weights.
    let weights: WeightsChoice
    /// The engine job for the values read. Throws ``AttentionError`` for a combination the
    /// fields' own checks cannot see (the field named is the one at fault).
    let build: @Sendable (Arguments) throws(AttentionError) -> EngineJob

    /// How the attention weights are asked for.
    enum WeightsChoice: Sendable {
        /// The mechanism returns none (positional encoding).
        case none
        /// Returned or not (v1 `return_weights` true/false; v2 a `weights` output asked or not).
        case flag
        /// Per head, their average or none (v1 `return_weights` as a ``HeadWeights``; v2
        /// `weights_mode` and the outputs asked).
        case heads
    }

    func tensor(named name: String) -> TensorField? {
        tensors.first { $0.name == name }
    }

    /// Every mechanism the service serves, in the order of `GET /` and the v2 model list.
    static let all: [Mechanism] = [.scaledDotProduct, .multiHead, .additive, .luongLocal, .positionalEncoding,
                                   .encoderLayer, .decoderLayer]

    static func named(_ name: String) -> Mechanism? {
        all.first { $0.name == name }
    }
}

/// A tensor a mechanism takes: v1 body field or v2 input.
struct TensorField: Sendable {
    let name: String
    let kind: ElementKind
    /// The ranks accepted; v2 metadata states the highest (every dimension `-1`).
    let ranks: ClosedRange<Int>
    /// The accepted shapes in words, for errors: "[L, d_k], [B, L, d_k] or [B, H, L, d_k]".
    let shapes: String
    let required: Bool
    /// What the tensor is, when the shape alone does not say it ("decoder states"): told
    /// when a required one is missing.
    var role: String? = nil

    static func float(_ name: String, _ ranks: ClosedRange<Int>, _ shapes: String, required: Bool = false,
                      role: String? = nil) -> TensorField {
        TensorField(name: name, kind: .float, ranks: ranks, shapes: shapes, required: required, role: role)
    }

    /// A boolean mask, `true` = may attend.
    static func mask(_ name: String, _ ranks: ClosedRange<Int>, _ shapes: String) -> TensorField {
        TensorField(name: name, kind: .bool, ranks: ranks, shapes: shapes, required: false)
    }

    /// A list of indices or lengths, each in `0...Int32.max`.
    static func indices(_ name: String, _ shapes: String) -> TensorField {
        TensorField(name: name, kind: .integer, ranks: 1...1, shapes: shapes, required: false)
    }
}

/// An output of a mechanism: its name (v1 member, v2 output), the part of the result it
/// carries, and its rank in v2 metadata.
struct OutputField: Sendable {
    let field: ResultField
    let rank: Int

    var name: String { field.name }

    init(_ field: ResultField, rank: Int) {
        self.field = field
        self.rank = rank
    }
}

/// What an element of a tensor is, whatever datatype it arrived as: the engine computes
/// in Float32, masks are booleans, lengths and indices are integers.
enum ElementKind: Sendable {
    /// FP32, or FP64 / FP16 converted to it.
    case float
    /// BOOL.
    case bool
    /// INT32 or INT64.
    case integer
}
