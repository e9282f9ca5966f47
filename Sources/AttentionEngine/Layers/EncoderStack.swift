extension AttentionEngine {
    /// What ``transformerEncoderStack(_:input:options:admission:)`` returns.
    public struct StackComputed: Sendable {
        /// The last layer's output, shaped as the input.
        public var output: Tensor
        /// Each layer's self-attention weights, when its options asked for them.
        public var weights: [Tensor?]
        public var timing: JobTiming
    }

    /// Encoder layers one after the other, as one job: a model's forward pass takes one place
    /// in the pool (one admission), as any other request does.
    ///
    /// - Parameters:
    ///   - layers: each layer's parameters; their `input` is ignored (each layer reads the
    ///     previous one's output; the first reads `input`).
    ///   - options: one per layer.
    public func transformerEncoderStack(_ layers: [TransformerEncoderLayerInput], input: Tensor,
                                        options: [TransformerLayerOptions],
                                        admission: Admission? = nil) async throws -> StackComputed {
        precondition(layers.count == options.count, "one TransformerLayerOptions per layer")
        // Every layer keeps the input's shape, so each is validated against the input up front.
        let stack = layers.map { layer in
            var layer = layer
            layer.input = input
            return layer
        }
        for (layer, options) in zip(stack, options) {
            try TransformerLayer.validate(input: input, attention: [(layer.attention, nil, options.masking)],
                                          numHeads: layer.numHeads, numKVHeads: layer.numKVHeads, feedForward: layer.feedForward,
                                          norms: [(layer.norm1, "ln1"), (layer.norm2, "ln2")], eps: layer.eps, weights: options.weights)
        }
        let ticket = try admission ?? pool.admit()
        let outcome = try await pool.run(ticket) { context in
            Result<(Tensor, [Tensor?]), AttentionError> { () throws(AttentionError) in
                var x = input
                var weights: [Tensor?] = []
                for (layer, options) in zip(stack, options) {
                    var layer = layer
                    layer.input = x
                    let result = try TransformerLayer.Encoder(input: layer, options: options).run(on: context)
                    x = result.output
                    weights.append(result.weights)
                }
                return (x, weights)
            }
        }
        let (output, weights) = try outcome.value.get()
        return StackComputed(output: output, weights: weights, timing: outcome.timing)
    }
}
