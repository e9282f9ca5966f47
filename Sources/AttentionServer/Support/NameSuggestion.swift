/// Finds the known name a misspelt one most likely meant ("casual" → "causal").
enum NameSuggestion {
    /// The closest of `candidates` to `name` by edit distance, when close enough to be a
    /// plausible typo: at most a third of the name's length, and at least 1 edit (2 for
    /// names of six or more characters, which covers a swapped pair).
    static func closest(to name: String, in candidates: [String]) -> String? {
        let lowered = name.lowercased()
        let allowed = max(lowered.count >= 6 ? 2 : 1, lowered.count / 3)
        let typed = Array(lowered.utf8)
        var best: (name: String, distance: Int)?
        // The distance is at least the difference in length, so a candidate that differs by
        // more than `allowed` is skipped unmeasured: a client's megabyte-long key then costs
        // no time at all here, instead of megabytes × the candidate's length per candidate.
        for candidate in candidates where abs(typed.count - candidate.utf8.count) <= allowed {
            let distance = editDistance(typed, Array(candidate.utf8))
            if distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        guard let best else { return nil }
        return best.distance <= allowed ? best.name : nil
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and
    /// transpositions of adjacent characters each cost 1.
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
