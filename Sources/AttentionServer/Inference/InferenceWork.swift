import AttentionEngine

/// The compute of one decoded request, whatever produced it: one job on the engine's pool,
/// run in the place the request's admission reserved. A mechanism's ``EngineJob`` and a
/// model's ``ForwardPass`` are the two kinds; the ``InferencePipeline`` runs either.
protocol InferenceWork: Sendable {
    /// What the compute gives the codec's encoder.
    associatedtype Result: Sendable

    /// Runs on `engine` in `admission`'s place.
    /// - Throws: ``EngineError`` (overloaded, shutting down), ``AttentionError``, cancellation.
    func compute(on engine: AttentionEngine, admission: Admission) async throws -> (result: Result, timing: JobTiming)
}

extension EngineJob: InferenceWork {
    func compute(on engine: AttentionEngine, admission: Admission) async throws -> (result: AttentionResult, timing: JobTiming) {
        let computed = try await run(on: engine, admission: admission)
        return (computed.result, computed.timing)
    }
}
