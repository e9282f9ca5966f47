/// libFuzzer's entry for programs that have a `main` of their own
/// (https://llvm.org/docs/LibFuzzer.html#using-libfuzzer-as-a-library). SwiftPM gives
/// every executable a `main` that shadows libFuzzer's, so each fuzz target calls this.
@_extern(c, "LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Runs libFuzzer with this process's command line (corpus folders, `-max_total_time`, …),
/// calling `testOneInput` with each input, and returns its exit status.
///
/// `testOneInput` must be the target's `@_cdecl("LLVMFuzzerTestOneInput")` function:
/// libFuzzer's own (shadowed) `main` refers to that symbol, so the link needs it anyway.
public func runLibFuzzer(_ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}

/// The fuzzer's input as a buffer (libFuzzer passes a null pointer for the empty input).
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: data, count: size)
}
