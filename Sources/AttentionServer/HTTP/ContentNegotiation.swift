/// Chooses between the representations a route offers by the client's `Accept` header
/// (RFC 9110 §12.5.1): the offer with the highest quality wins, its quality taken from the
/// most specific media range that matches it; ties, and a missing or unparsable header,
/// go to the first offer. Hand-written because Hummingbird does not negotiate, and a route
/// here picks between two or three fixed types only.
enum ContentNegotiation {
    /// One of `offers` (lowercase `type/subtype`, the default first).
    static func choose(_ offers: [String], accept: String?) -> String {
        guard let accept, !offers.isEmpty else { return offers.first ?? "" }
        let ranges = accept.split(separator: ",").compactMap(MediaRange.init)
        var best = offers[0], bestQuality = quality(of: offers[0], in: ranges)
        for offer in offers.dropFirst() {
            let quality = quality(of: offer, in: ranges)
            if quality > bestQuality { (best, bestQuality) = (offer, quality) }
        }
        return best
    }

    /// The quality of the most specific range matching `offer`, 0 when none does.
    private static func quality(of offer: String, in ranges: [MediaRange]) -> Double {
        ranges.filter { $0.matches(offer) }.max { $0.specificity < $1.specificity }?.quality ?? 0
    }

    /// `type/subtype;q=0.8` (parameters other than q are ignored).
    private struct MediaRange {
        let type: Substring, subtype: Substring
        let quality: Double

        init?(_ text: Substring) {
            let parts = text.split(separator: ";").map { $0.trimmingWhitespace() }
            let name = parts.first?.lowercased().split(separator: "/") ?? []
            guard name.count == 2 else { return nil }
            type = name[0]
            subtype = name[1]
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0].lowercased() == "q", let value = Double(pair[1]) { quality = min(max(value, 0), 1) }
            }
            self.quality = quality
        }

        func matches(_ offer: String) -> Bool {
            let name = offer.split(separator: "/")
            return (type == "*" || type == name[0]) && (subtype == "*" || subtype == name[1])
        }

        /// `*/*` < `type/*` < `type/subtype`.
        var specificity: Int { (type == "*" ? 0 : 1) + (subtype == "*" ? 0 : 1) }
    }
}

private extension Substring {
    func trimmingWhitespace() -> Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return text
    }
}
