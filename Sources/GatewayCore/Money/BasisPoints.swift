/// A rate in basis points: 1 bp = 0.01 %, so 10 % is 1000 and 12.5 % is 1250.
public struct BasisPoints: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var value: Int64

    public init(_ value: Int64) {
        self.value = value
    }

    /// Parses a percentage such as `10`, `10%` or `12.5 %` exactly (at most two decimals).
    public init?(percent text: String) {
        var trimmed = Substring(text).trimmingWhitespace()
        if trimmed.hasSuffix("%") { trimmed = trimmed.dropLast().trimmingWhitespace() }
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = Int64(parts[0]), whole >= 0 else { return nil }
        var hundredths: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard (1...2).contains(digits.count), digits.allSatisfy(\.isASCII), let fraction = Int64(digits) else { return nil }
            hundredths = digits.count == 1 ? fraction * 10 : fraction
        }
        self.value = whole * 100 + hundredths
    }

    public static func < (lhs: BasisPoints, rhs: BasisPoints) -> Bool { lhs.value < rhs.value }

    /// `10%`, `12.5%`.
    public var description: String {
        let whole = value / 100
        let fraction = value % 100
        if fraction == 0 { return "\(whole)%" }
        return fraction % 10 == 0 ? "\(whole).\(fraction / 10)%" : "\(whole).\(fraction < 10 ? "0" : "")\(fraction)%"
    }

    public init(from decoder: any Decoder) throws {
        self.value = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
