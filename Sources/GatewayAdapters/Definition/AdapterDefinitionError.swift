/// A definition in `adapters/` that cannot be used, with the file and the field at fault.
public struct AdapterDefinitionError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String?
    /// Dotted path of the offending field (`events.invoice.paid.fields.amount`).
    public var field: String
    public var message: String

    public init(file: String? = nil, field: String, message: String) {
        self.file = file
        self.field = field
        self.message = message
    }

    public var description: String {
        "\(file ?? "<definition>"): \(field.isEmpty ? "" : "\(field): ")\(message)"
    }
}
