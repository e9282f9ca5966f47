import CAttentionKernels
import CBLAS
import Foundation

/// The compute core: validates attention problems and runs them on a fixed pool of
/// worker threads with a bounded queue. It knows nothing of HTTP or JSON.
///
/// Every method validates synchronously first (throwing ``AttentionError`` for bad
/// input, before any queueing), then waits for a worker. Queue full: ``EngineError/overloaded(capacity:)``.
/// Cancelling the calling task cancels the job, queued or running.
public final class AttentionEngine: Sendable {
    /// Sizes of the pool.
    public struct Configuration: Sendable {
        /// Worker threads; default one per core.
        public var workers: Int
        /// Jobs that may wait for a worker beyond the ones running.
        public var queueDepth: Int
        /// Problems of fewer multiply-adds than this run on the calling thread, in an idle
        /// worker's place, rather than on the worker: see ``WorkerPool/run(_:inlineWhenIdle:_:)``.
        /// The default, 2^16, is a few microseconds of arithmetic, less than the two thread
        /// wake-ups of a hop to a worker and back; 0 sends every problem to a worker.
        public var inlineMultiplyAdds: Double
        /// How long a worker that runs out of work while another worker runs a job watches for
        /// that job's fan-out before it sleeps (see ``WorkerPool/init(workers:queueDepth:idleSpin:)``);
        /// `.zero` never spins.
        public var idleSpin: Duration
        /// The nice value each worker thread gives itself when it starts (Linux; 0 leaves the
        /// process's): how far compute yields the cores to the threads that do I/O, see
        /// ``WorkerPool/init(workers:queueDepth:idleSpin:workerNice:)``. Default 10, or the
        /// environment's `ATTENTION_WORKER_NICE` (so that the server takes it with no flag of its own).
        public var workerNice: Int

        /// `ATTENTION_WORKER_NICE` when it is an integer in −20…19, else 10.
        public static var defaultWorkerNice: Int {
            guard let text = ProcessInfo.processInfo.environment["ATTENTION_WORKER_NICE"], let nice = Int(text),
                  (-20...19).contains(nice) else { return 10 }
            return nice
        }

        public init(workers: Int = ProcessInfo.processInfo.activeProcessorCount, queueDepth: Int = 64,
                    inlineMultiplyAdds: Double = 65536, idleSpin: Duration = .microseconds(50),
                    workerNice: Int = Configuration.defaultWorkerNice) {
            self.workers = workers
            self.queueDepth = queueDepth
            self.inlineMultiplyAdds = inlineMultiplyAdds
            self.idleSpin = idleSpin
            self.workerNice = workerNice
        }
    }

    let pool: WorkerPool
    private let inlineMultiplyAdds: Double

    public init(configuration: Configuration = Configuration()) {
        // BLAS runs single-threaded inside each worker: the pool is the parallelism.
        openblas_set_num_threads(1)
        pool = WorkerPool(workers: configuration.workers, queueDepth: configuration.queueDepth,
                          idleSpin: configuration.idleSpin, workerNice: configuration.workerNice)
        inlineMultiplyAdds = configuration.inlineMultiplyAdds
    }

    /// The BLAS core in use, e.g. "Haswell" or "SkylakeX" (OpenBLAS picks it at load time).
    public static var blasCore: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The core OpenBLAS chose for itself, when it did not use the CPU's best instruction set
    /// and the engine replaced it at load time by one that does (e.g. "Prescott", OpenBLAS
    /// 0.3.21's SSE3 fallback for CPUs newer than it knows); nil when OpenBLAS's choice stands.
    /// Setting `OPENBLAS_CORETYPE` keeps OpenBLAS's own mechanism in charge.
    public static var blasCoreReplaced: String? { ak_blas_core_replaced().map { String(cString: $0) } }

    /// ``blasCore``, with the replaced core when there is one: "SkylakeX (replacing Prescott)".
    public static var blasCoreDescription: String {
        blasCoreReplaced.map { "\(blasCore) (replacing \($0))" } ?? blasCore
    }

    /// The instruction set of the row kernels chosen for this CPU, e.g. "x86-64-v4 (AVX-512)".
    public static var kernelInstructionSet: String { String(cString: ak_instruction_set()) }

    /// What the pool is doing now.
    public var status: EngineStatus { pool.status }

    /// Reserves a place for one job before its input is decoded, so that excess load is shed
    /// cheaply. Pass it to a mechanism; dropping it unused gives the place back.
    public func admit() throws(EngineError) -> Admission { try pool.admit() }

    /// Stops admitting work and waits until every admitted job has finished.
    public func drain() async {
        pool.stopAccepting()
        let pool = self.pool
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                pool.waitUntilIdle()
                continuation.resume()
            }
        }
    }

    /// Drains, then ends the worker threads.
    public func shutdown() async {
        await drain()
        pool.stopWorkers()
    }

    deinit { pool.stopWorkers() }

    // MARK: Mechanisms

    /// Scaled dot-product attention, `softmax(scale · Q Kᵀ + bias, masked) V` (Vaswani et al. 2017, eq. 1).
    ///
    /// - Parameters:
    ///   - query: `[L, d_k]`, `[B, L, d_k]` or `[B, H, L, d_k]`.
    ///   - key: `[.., S, d_k]`, same rank; with rank 4 its heads H_kv may divide H (grouped-query).
    ///   - value: `[.., S, d_v]`, heads as the key.
    public func scaledDotProduct(query: Tensor, key: Tensor, value: Tensor,
                                 options: DotProductAttentionOptions = .init(),
                                 admission: Admission? = nil) async throws -> Computed {
        let problem = try ScaledDotProduct.prepare(query: query, key: key, value: value, options: options)
        return try await run(admission, multiplyAdds: problem.multiplyAdds) { problem.run(on: $0) }
    }

    /// Multi-head attention with projections; see ``MultiHeadAttentionInput``.
    public func multiHead(_ input: MultiHeadAttentionInput,
                          options: MultiHeadAttentionOptions = .init(),
                          admission: Admission? = nil) async throws -> Computed {
        let problem = try MultiHead.prepare(input, options: options)
        return try await run(admission, multiplyAdds: problem.multiplyAdds) { problem.run(on: $0) }
    }

    /// Additive (Bahdanau) attention; see ``AdditiveAttentionInput``.
    public func additive(_ input: AdditiveAttentionInput,
                         options: AdditiveAttentionOptions = .init(),
                         admission: Admission? = nil) async throws -> Computed {
        let problem = try Additive.prepare(input, options: options)
        return try await run(admission, multiplyAdds: problem.multiplyAdds) { problem.run(on: $0) }
    }

    /// Luong's "general" score, `softmax(s_i W_a h_jᵀ) V` (Luong et al. 2015, eq. 8); see ``LuongGeneralInput``.
    public func luongGeneral(_ input: LuongGeneralInput,
                             options: DotProductAttentionOptions = .init(scale: 1),
                             admission: Admission? = nil) async throws -> Computed {
        let problem = try LuongGeneral.prepare(input, options: options)
        return try await run(admission) { problem.run(on: $0) }
    }

    /// The sinusoidal positional encoding `[length, dim]` (Vaswani et al. 2017, §3.5), plus
    /// `addTo` (`[length, dim]`) when given, as the result's `output`; see
    /// ``PositionalEncoding/sinusoidal(length:dim:base:)``.
    public func sinusoidalEncoding(length: Int, dim: Int, base: Double = 10_000, addTo: Tensor? = nil,
                                   admission: Admission? = nil) async throws -> Computed {
        if let addTo {
            guard addTo.shape == [length, dim] else {
                throw AttentionError.shape("add_to", "must have shape [\(length), \(dim)] (length, dim), got \(Shape.describe(addTo.shape))")
            }
            let magnitude = try Validate.input(addTo, "add_to")
            try Magnitude.check(magnitude + 1, "add_to", "a sum with the encoding")
        }
        _ = try PositionalEncoding.sinusoidal(length: 0, dim: dim, base: base)  // validates dim and base
        guard length >= 0, let count = Shape.elementCount([length, dim]), count <= Int(Int32.max) else {
            throw AttentionError.invalid("length", "must be a non-negative integer with length × dim ≤ \(Int32.max), got \(length)")
        }
        return try await run(admission) { _ in
            var encoding = try! PositionalEncoding.sinusoidal(length: length, dim: dim, base: base)  // validated above
            if let addTo { for i in encoding.scalars.indices { encoding.scalars[i] += addTo.scalars[i] } }
            return AttentionResult(output: encoding)
        }
    }

    /// Luong local attention, monotonic or predictive; see ``LuongLocalInput``. The result's
    /// `positions` holds p_t; weights are zero outside each window.
    public func luongLocal(_ input: LuongLocalInput, options: LuongLocalOptions = .init(),
                           admission: Admission? = nil) async throws -> Computed {
        let problem = try LuongLocal.prepare(input, options: options)
        return try await run(admission) { problem.run(on: $0) }
    }

    /// One Transformer encoder layer (PyTorch `nn.TransformerEncoderLayer` semantics); the
    /// result's `weights` are the self-attention's. See ``TransformerEncoderLayerInput``.
    public func transformerEncoderLayer(_ input: TransformerEncoderLayerInput, options: TransformerLayerOptions = .init(),
                                        admission: Admission? = nil) async throws -> Computed {
        try TransformerLayer.validate(input: input.input, attention: [(input.attention, nil, options.masking)],
                                      numHeads: input.numHeads, numKVHeads: input.numKVHeads, feedForward: input.feedForward,
                                      norms: [(input.norm1, "ln1"), (input.norm2, "ln2")], eps: input.eps, weights: options.weights)
        let layer = TransformerLayer.Encoder(input: input, options: options)
        return try await runThrowing(admission) { context throws(AttentionError) in try layer.run(on: context) }
    }

    /// One Transformer decoder layer (PyTorch `nn.TransformerDecoderLayer` semantics); `weights`
    /// are the self-attention's and `crossWeights` the cross-attention's. See ``TransformerDecoderLayerInput``.
    public func transformerDecoderLayer(_ input: TransformerDecoderLayerInput, options: TransformerLayerOptions = .init(),
                                        admission: Admission? = nil) async throws -> Computed {
        try Validate.sameRankAndBatch(input.memory, "memory", as: input.input, batched: input.input.rank == 3)
        try TransformerLayer.validate(input: input.input,
                                      attention: [(input.selfAttention, nil, options.masking),
                                                  (input.crossAttention, input.memory, options.memoryMasking)],
                                      numHeads: input.numHeads, numKVHeads: input.numKVHeads, feedForward: input.feedForward,
                                      norms: [(input.norm1, "ln1"), (input.norm2, "ln2"), (input.norm3, "ln3")],
                                      eps: input.eps, weights: options.weights)
        let layer = TransformerLayer.Decoder(input: input, options: options)
        return try await runThrowing(admission) { context throws(AttentionError) in try layer.run(on: context) }
    }

    /// A mechanism's result and how long it queued and ran.
    public struct Computed: Sendable {
        public var result: AttentionResult
        public var timing: JobTiming
        public var output: Tensor { result.output }
        public var weights: Tensor? { result.weights }
        public var positions: Tensor? { result.positions }
    }

    /// Runs work that may find, mid-way, that an intermediate value is out of range.
    private func runThrowing(_ admission: Admission?,
                             _ work: @escaping @Sendable (ParallelContext) throws(AttentionError) -> AttentionResult) async throws -> Computed {
        let ticket = try admission ?? pool.admit()
        let outcome = try await pool.run(ticket) { context in
            Result<AttentionResult, AttentionError> { () throws(AttentionError) in try work(context) }
        }
        return Computed(result: try outcome.value.get(), timing: outcome.timing)
    }

    /// Runs `work`, of about `multiplyAdds` (infinite when unknown: never inline), in the place
    /// `admission` reserved or a new one.
    private func run(_ admission: Admission?, multiplyAdds: Double = .infinity,
                     _ work: @escaping @Sendable (ParallelContext) -> AttentionResult) async throws -> Computed {
        let ticket = try admission ?? pool.admit()
        let outcome = try await pool.run(ticket, inlineWhenIdle: multiplyAdds < inlineMultiplyAdds, work)
        return Computed(result: outcome.value, timing: outcome.timing)
    }
}
