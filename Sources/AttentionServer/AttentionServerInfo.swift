import AttentionEngine

/// Facts about the running build, for the start-up log line.
public enum AttentionServerInfo {
    /// The BLAS kernel family in use, and OpenBLAS's own choice when the engine replaced it.
    public static var blasCore: String { AttentionEngine.blasCoreDescription }
}
