import Testing
@testable import AttentionEngine

/// `project()` splits `x · W + b` by rows, columns and (under 64 rows) the inner dimension:
/// every split must give the product, whatever the shape.
struct ProjectionSplitTests {
    @Test(arguments: [(1, 384, 384), (21, 384, 1536), (21, 1536, 384), (63, 100, 1536), (64, 384, 70), (300, 130, 384)])
    func everySplitGivesTheProduct(rows: Int, input: Int, output: Int) async throws {
        var generator = SystemRandomNumberGenerator()
        let x = (0..<rows * input).map { _ in Float.random(in: -1...1, using: &generator) }
        let weight = try Tensor(shape: [input, output], scalars: (0..<input * output).map { _ in Float.random(in: -1...1, using: &generator) })
        let bias = try Tensor(shape: [output], scalars: (0..<output).map { _ in Float.random(in: -1...1, using: &generator) })
        let pool = WorkerPool(workers: 2, queueDepth: 1)
        defer { pool.stopWorkers() }
        let computed = try await pool.run(try pool.admit()) { context in
            (project(x, rows: rows, weight, bias: bias, on: context), project(x, rows: rows, weight, bias: nil, on: context))
        }.value
        for row in 0..<rows {
            for column in 0..<output {
                var sum = 0.0
                for k in 0..<input { sum += Double(x[row * input + k]) * Double(weight.scalars[k * output + column]) }
                let tolerance = 1e-5 * Double(input)
                #expect(abs(Double(computed.1[row * output + column]) - sum) < tolerance)
                #expect(abs(Double(computed.0[row * output + column]) - sum - Double(bias.scalars[column])) < tolerance)
            }
        }
    }

    @Test func aMeasuredTensorIsMeasuredAgainOnceChanged() {
        var tensor = Tensor(zeros: [2, 2]).measured()
        #expect(Magnitude.of(tensor) == 0)
        tensor.scalars[3] = -5
        #expect(Magnitude.of(tensor) == 5)
        tensor.scalars[0] = .nan
        #expect(Magnitude.of(tensor.measured()) == .infinity)
    }
}
