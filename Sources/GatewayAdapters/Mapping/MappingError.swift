/// Why a verified delivery could not be turned into business events. Permanent: the delivery is
/// marked failed with this reason until an adapter fix and a replay.
public struct MappingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable {
        /// The body is not a JSON document.
        case malformedBody = "malformed_body"
        /// A field the event needs is absent or null.
        case missingField = "missing_field"
        /// A field is present but has the wrong type or an impossible value.
        case invalidField = "invalid_field"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
