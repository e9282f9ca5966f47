import Testing
@testable import TensorJSON
