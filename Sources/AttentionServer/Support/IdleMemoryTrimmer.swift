import AttentionEngine
import ServiceLifecycle

/// Looks at the engine every `period` and trims once per idle spell (``shouldTrim``): the
/// allocator's part of the memory budget (``ProcessMemory``).
struct IdleMemoryTrimmer: Service {
    /// What one look sees: jobs admitted now, and since the engine started.
    struct Look: Equatable {
        var admitted: Int
        var admissions: Int
    }

    let look: @Sendable () -> Look
    let period: Duration

    init(engine: AttentionEngine, period: Duration = .seconds(1)) {
        look = { let status = engine.status; return Look(admitted: status.admitted, admissions: status.admissions) }
        self.period = period
    }

    /// Trim when no job was admitted or held through the whole last period, and some job came
    /// since the last trim: once per idle spell, never in the middle of traffic.
    static func shouldTrim(previous: Look, current: Look, admissionsAtLastTrim: Int) -> Bool {
        current.admitted == 0 && previous.admitted == 0 && current.admissions == previous.admissions
            && current.admissions != admissionsAtLastTrim
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var previous = look()
            var admissionsAtLastTrim = previous.admissions
            while true {
                try await Task.sleep(for: period)
                let current = look()
                if Self.shouldTrim(previous: previous, current: current, admissionsAtLastTrim: admissionsAtLastTrim) {
                    ProcessMemory.trim()
                    admissionsAtLastTrim = current.admissions
                }
                previous = current
            }
        }
    }
}
