import Foundation
import Hummingbird

/// The smallest problem with a known answer, which many suites send just to get a 200:
/// one query row [1, 0] against keys [1, 0] and [0, 1], with values 1 and 2. Its v2 form
/// is ``V2/small``.
enum SmallProblem {
    /// The v1 body as a JSON object.
    static var v1: [String: Any] { ["query": [[1, 0]], "key": [[1, 0], [0, 1]], "value": [[1], [2]]] }

    /// The v1 body as JSON text, for raw sockets and byte-level requests.
    static let v1Text = String(buffer: jsonBody(v1))

    /// The v2 inference request (``V2/small``) as JSON text.
    static let v2Text = String(buffer: V2.body(["inputs": V2.small]).0)

    /// The answer: the weights are softmax([1, 0] / √2), so the output is their mix of 1 and 2.
    static var output: Double {
        let first = 1 / (1 + exp(-1 / 2.0.squareRoot()))
        return first * 1 + (1 - first) * 2
    }
}
