/// TensorJSON: a small, strict JSON reader and writer specialised for numeric tensors.
///
/// Why it exists: decoding JSON dominates this service's cost. Foundation's
/// `JSONDecoder` decodes float matrices at roughly 30–50 ms per MB on our machines
/// (`JSONSerialization` 50–85 ms per MB), about 30× the cost of the attention arithmetic
/// for a 1024×64 Q, K, V request. No library on our local Swift package mirror parses
/// numeric arrays straight into flat `[Float]` storage, so this module does, with:
///
/// - ``JSONReader``: strict RFC 8259 parsing of a byte buffer into ``JSONValue``.
///   Rectangular arrays of numbers become one ``NumericArray`` (shape + flat row-major
///   `[Float]`) without building a value per element; ragged or mixed arrays fall back
///   to ``JSONValue/array(_:)`` so a validator can point at the offending row.
///   Every error is a ``JSONParseError`` with byte offset, line and column; no input traps.
/// - ``JSONWriter``: a streaming writer with automatic commas that writes tensors as
///   nested arrays using shortest round-trip float text.
///
/// Both are plain value types with no shared state, safe to use from any thread, and
/// small enough to fuzz. The module depends only on the standard library and Glibc.
enum TensorJSONModule {}
