public import Foundation

/// Durations as people write them in configuration: `90s`, `30m`, `48h`, `5d`, or bare seconds.
public enum DurationText {
    /// The seconds `text` stands for, or `nil` when it is not a positive whole number with an
    /// optional unit `s`, `m`, `h` or `d`.
    public static func seconds(_ text: String) -> TimeInterval? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let last = trimmed.last else { return nil }
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        let (digits, unit) = last.isNumber ? (Substring(trimmed), 1.0) : (trimmed.dropLast(), units[last] ?? 0)
        guard unit > 0, !digits.isEmpty, digits.allSatisfy(\.isASCII), let count = Int(digits), count > 0 else { return nil }
        return TimeInterval(count) * unit
    }

    /// `seconds` written back in the largest unit that divides it (`7200` → `2h`, `172800` → `2d`).
    public static func text(_ seconds: TimeInterval) -> String {
        let whole = Int(seconds.rounded())
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] where whole >= size && whole % size == 0 {
            return "\(whole / size)\(unit)"
        }
        return "\(whole)s"
    }
}
