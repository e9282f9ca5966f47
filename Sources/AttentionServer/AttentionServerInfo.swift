import AttentionEngine

/// Facts about the running build, for the start-up log line.
public enum AttentionServerInfo {
    /// The BLAS kernel family OpenBLAS chose for this CPU.
    public static var blasCore: String { AttentionEngine.blasCore }
}
