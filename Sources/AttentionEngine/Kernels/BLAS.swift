import CBLAS

/// Single-precision GEMM through OpenBLAS: `C = alpha · op(A) · op(B) + beta · C`, row-major,
/// where op(X) is X or Xᵀ. `A` is m×k after op, `B` k×n after op, `C` m×n.
@inline(__always)
func sgemm(m: Int, n: Int, k: Int, alpha: Float = 1,
           _ a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
           _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
           beta: Float = 0, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0, n > 0 else { return }
    guard k > 0 else {
        // An empty inner dimension: the product is zero.
        for row in 0..<m {
            let line = c + row * ldc
            for column in 0..<n { line[column] = beta == 0 ? 0 : beta * line[column] }
        }
        return
    }
    cblas_sgemm(CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha,
                a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}

/// `B = Aᵀ` for a row-major `A` of `rows`×`columns` (OpenBLAS's out-of-place `somatcopy`, an
/// extension of CBLAS): `B` is `columns`×`rows`.
@inline(__always)
func transpose(rows: Int, columns: Int, _ a: UnsafePointer<Float>, lda: Int,
               into b: UnsafeMutablePointer<Float>, ldb: Int) {
    guard rows > 0, columns > 0 else { return }
    cblas_somatcopy(CblasRowMajor, CblasTrans, blasint(rows), blasint(columns), 1, a, blasint(lda), b, blasint(ldb))
}

/// `y = x · W + b` for `rows` rows of `x` ([rows, in]), `W` [in, out], `b` [out] or nil,
/// split over the pool in blocks of rows and slices of columns.
func project(_ x: [Float], rows: Int, _ weight: Tensor, bias: Tensor?, on context: ParallelContext) -> [Float] {
    let input = weight.shape[0], output = weight.shape[1]
    var y = [Float](repeating: 0, count: rows * output)
    guard rows > 0, output > 0, input > 0 else { return y }
    // Each task is a GEMM on a block of rows and a slice of columns of W and y (the split of
    // rows and columns leaves each element's sum as it was). OpenBLAS packs the part of W a call
    // reads before multiplying, so every block of rows packs (and reads from memory) its
    // slice of W again: with few rows that is much of the work, so the blocks of rows are
    // large (256) and the columns are sliced instead, for about two tasks per worker (a
    // worker slowed by another process leaves the other one more). Fewer than 64 rows (one
    // BERT sentence is about 20) take slices of 64 columns: a GEMM that small falls in
    // OpenBLAS's small-matrix kernel (m·n·k ≤ 10⁶ on x86-64), which reads W in place without
    // packing it (one thread, 21×384 · 384×384: 36 µs in 64-column slices, 50 µs whole). When
    // that is still too large for it (a long `input`: BERT's second feed-forward matrix), the sum
    // over `input` is cut into equal chunks that fit, each GEMM adding onto y, as OpenBLAS's
    // packed path cuts it too (21×1536 · 1536×384: 141 µs in 64×512 pieces, 211 µs whole).
    let block = 256
    let rowBlocks = (rows + block - 1) / block
    let slices = (2 * context.workers + rowBlocks - 1) / rowBlocks
    let width = rows < 64 ? 64 : max(64, ((output + slices - 1) / slices + 15) / 16 * 16)
    let columnBlocks = (output + width - 1) / width
    let chunks = rows < 64 ? max(1, (rows * width * input + 999_999) / 1_000_000) : 1
    let chunk = (input + chunks - 1) / chunks
    x.withUnsafeBufferPointer { x in
        weight.scalars.withUnsafeBufferPointer { w in
            y.withUnsafeMutableBufferPointer { y in
                let xBase = x.baseAddress!, wBase = w.baseAddress!, yBase = y.baseAddress!
                context.forEach(rowBlocks * columnBlocks) { task in
                    let first = task / columnBlocks * block, count = min(block, rows - first)
                    let column = task % columnBlocks * width, columns = min(width, output - column)
                    let out = yBase + first * output + column
                    if let bias {
                        bias.scalars.withUnsafeBufferPointer { b in
                            for row in 0..<count { (out + row * output).update(from: b.baseAddress! + column, count: columns) }
                        }
                    }
                    for start in stride(from: 0, to: input, by: chunk) {
                        sgemm(m: count, n: columns, k: min(chunk, input - start), xBase + first * input + start, lda: input,
                              wBase + start * output + column, ldb: output, beta: bias == nil && start == 0 ? 0 : 1,
                              out, ldc: output)
                    }
                }
            }
        }
    }
    return y
}
