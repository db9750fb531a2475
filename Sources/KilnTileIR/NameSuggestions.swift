// NameSuggestions.swift: "did you mean" suggestions for misspelt names (opcodes, passes).

/// Finds the known names closest to a misspelt one.
public enum NameSuggestions {
    /// The candidates within a small edit distance of `name` (at most a third of its length, at least 1),
    /// or that contain it or are contained in it, closest first, at most `limit`.
    public static func closeMatches(to name: String, in candidates: [String], limit: Int = 3) -> [String] {
        let allowed = max(1, name.count / 3)
        let scored = candidates.compactMap { candidate -> (String, Int)? in
            let distance = editDistance(name, candidate)
            if distance <= allowed { return (candidate, distance) }
            if name.count >= 3, candidate.contains(name) || name.contains(candidate) { return (candidate, allowed + 1) }
            return nil
        }
        return scored.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }.prefix(limit).map(\.0)
    }

    /// Levenshtein distance over characters.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = Array(repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
