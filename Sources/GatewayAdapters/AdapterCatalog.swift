public import Foundation
import Yams

/// Every adapter definition in a directory, by source name.
public struct AdapterCatalog: Sendable {
    public let adapters: [String: Adapter]

    public init(adapters: [Adapter]) {
        self.adapters = Dictionary(adapters.map { ($0.source, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public subscript(source: String) -> Adapter? { adapters[source] }

    /// The catalog with each source's signing-key hosts replaced where `hosts(source)` names some.
    public func allowingKeyHosts(from hosts: (String) -> [String]?) -> AdapterCatalog {
        AdapterCatalog(adapters: adapters.values.map { adapter in hosts(adapter.source).map(adapter.allowingKeyHosts) ?? adapter })
    }

    /// Source names, sorted.
    public var sources: [String] { adapters.keys.sorted() }

    /// Loads every `*.yaml`, `*.yml` and `*.json` file in `directory`.
    ///
    /// - Throws: the first file that cannot be used, naming the file and the field.
    public static func load(directory: URL) throws -> AdapterCatalog {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { ["yaml", "yml", "json"].contains(($0 as NSString).pathExtension) }
            .sorted()
        var adapters: [Adapter] = []
        for name in names {
            let adapter = try loadDefinition(file: directory.appendingPathComponent(name))
            if adapters.contains(where: { $0.source == adapter.source }) {
                throw AdapterDefinitionError(file: name, field: "source", message: "source \(adapter.source) is defined twice")
            }
            adapters.append(adapter)
        }
        return AdapterCatalog(adapters: adapters)
    }

    /// Loads and checks one definition file (YAML, of which JSON is a subset).
    public static func loadDefinition(file: URL) throws(AdapterDefinitionError) -> Adapter {
        let name = file.lastPathComponent
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw AdapterDefinitionError(file: name, field: "", message: "cannot read the file")
        }
        return try parseDefinition(text, file: name)
    }

    /// Parses and checks a definition given as text.
    public static func parseDefinition(_ text: String, file: String) throws(AdapterDefinitionError) -> Adapter {
        do {
            let definition = try YAMLDecoder().decode(AdapterDefinition.self, from: text)
            return try Adapter(definition: definition)
        } catch let error as AdapterDefinitionError {
            throw AdapterDefinitionError(file: file, field: error.field, message: error.message)
        } catch let error as DecodingError {
            let (path, message) = Self.describe(error)
            throw AdapterDefinitionError(file: file, field: path, message: message)
        } catch {
            throw AdapterDefinitionError(file: file, field: "", message: "not valid YAML: \(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> (String, String) {
        func path(_ keys: [any CodingKey]) -> String { keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let context):
            return (path(context.codingPath + [key]), "required key is missing")
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return (path(context.codingPath), context.debugDescription)
        @unknown default:
            return ("", "\(error)")
        }
    }
}
