/// Request headers with case-insensitive names, as signature schemes read them.
public struct HeaderValues: Sendable, Hashable, Codable {
    /// Lower-cased name → value; repeated headers are joined with `, ` as HTTP allows.
    public private(set) var values: [String: String]

    public init(_ pairs: [(name: String, value: String)] = []) {
        var values: [String: String] = [:]
        for (name, value) in pairs {
            let key = name.lowercased()
            values[key] = values[key].map { "\($0), \(value)" } ?? value
        }
        self.values = values
    }

    public subscript(name: String) -> String? {
        values[name.lowercased()]
    }

    /// Only the named headers, for storing beside a delivery.
    public func keeping(_ names: [String]) -> HeaderValues {
        HeaderValues(names.compactMap { name in self[name].map { (name.lowercased(), $0) } })
    }

    public init(from decoder: any Decoder) throws {
        self.values = try decoder.singleValueContainer().decode([String: String].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}
