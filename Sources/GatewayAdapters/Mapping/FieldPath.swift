/// A dotted path into a JSON document: `data.object.customer`; a numeric segment indexes an
/// array (`lines.data.0.period.start`).
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    public let segments: [String]

    public init(_ text: String) {
        self.segments = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }

    public var description: String { segments.joined(separator: ".") }

    /// Whether the path is well formed (no empty segment).
    var isValid: Bool { !segments.isEmpty && segments.allSatisfy { !$0.isEmpty } }
}
