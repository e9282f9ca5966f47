/// Soft attention weighs every visible key; hard attention picks one.
public enum AttentionMode: String, Sendable, CaseIterable {
    /// `softmax(scores)`.
    case soft
    /// The one-hot argmax of the masked scores; ties go to the lowest key index.
    case hard
}
