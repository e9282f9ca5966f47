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
/// split over the pool in blocks of rows.
func project(_ x: [Float], rows: Int, _ weight: Tensor, bias: Tensor?, on context: ParallelContext) -> [Float] {
    let input = weight.shape[0], output = weight.shape[1]
    var y = [Float](repeating: 0, count: rows * output)
    guard rows > 0, output > 0, input > 0 else { return y }
    let block = 64
    x.withUnsafeBufferPointer { x in
        weight.scalars.withUnsafeBufferPointer { w in
            y.withUnsafeMutableBufferPointer { y in
                let xBase = x.baseAddress!, wBase = w.baseAddress!, yBase = y.baseAddress!
                context.forEach((rows + block - 1) / block) { task in
                    let first = task * block, count = min(block, rows - first)
                    let out = yBase + first * output
                    if let bias {
                        bias.scalars.withUnsafeBufferPointer { b in
                            for row in 0..<count { (out + row * output).update(from: b.baseAddress!, count: output) }
                        }
                    }
                    sgemm(m: count, n: output, k: input, xBase + first * input, lda: input,
                          wBase, ldb: output, beta: bias == nil ? 0 : 1, out, ldc: output)
                }
            }
        }
    }
    return y
}
