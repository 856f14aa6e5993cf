public import Foundation
public import GatewayCore

/// Runs the fixtures in `fixtures/<source>/` through their adapter and compares each with the
/// `<name>.expected.json` beside it: `{"events": [...]}` or `{"ignored": "<reason>"}` or
/// `{"failed": "<error code>"}`.
public enum FixtureCheck {
    /// What a fixture should map to.
    public enum Expectation: Sendable, Hashable, Codable {
        case events([BusinessEvent])
        case ignored(String)
        case failed(MappingError.Code)
        /// A thin notification: the entities it asks the processor to fetch.
        case fetch([EnrichmentRequest])

        private enum CodingKeys: String, CodingKey { case events, ignored, failed, fetch }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let events = try container.decodeIfPresent([BusinessEvent].self, forKey: .events) {
                self = .events(events)
            } else if let reason = try container.decodeIfPresent(String.self, forKey: .ignored) {
                self = .ignored(reason)
            } else if let requests = try container.decodeIfPresent([EnrichmentRequest].self, forKey: .fetch) {
                self = .fetch(requests)
            } else {
                self = .failed(try container.decode(MappingError.Code.self, forKey: .failed))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .events(let events): try container.encode(events, forKey: .events)
            case .ignored(let reason): try container.encode(reason, forKey: .ignored)
            case .failed(let code): try container.encode(code, forKey: .failed)
            case .fetch(let requests): try container.encode(requests, forKey: .fetch)
            }
        }
    }

    /// One fixture's result.
    public struct Result: Sendable {
        public var fixture: URL
        public var expected: Expectation?
        public var actual: Expectation
        /// Mapping errors carry a message beside the code.
        public var message: String?

        public var passed: Bool { expected == actual }
    }

    /// The fixtures of a source: every `*.json` in `directory` that is not an `.expected.json`
    /// (subfolders, such as API responses a fake serves, are not fixtures).
    public static func fixtures(in directory: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") && !$0.hasSuffix(".expected.json") }
            .sorted()
            .map { directory.appendingPathComponent($0) }
    }

    /// Maps `fixture` with `adapter` and reads the expectation beside it, if there is one.
    public static func run(_ fixture: URL, with adapter: Adapter) throws -> Result {
        let body = try Data(contentsOf: fixture)
        let expectedURL = fixture.deletingPathExtension().appendingPathExtension("expected.json")
        let expected = try? decoder.decode(Expectation.self, from: Data(contentsOf: expectedURL))
        do {
            switch try adapter.map(body) {
            case .mapped(let events): return Result(fixture: fixture, expected: expected, actual: .events(events))
            case .ignored(let reason): return Result(fixture: fixture, expected: expected, actual: .ignored(reason))
            case .needsEnrichment(let requests):
                // When the fixtures hold the API's answer for every request (`api/<entity>.<id>.json`,
                // the same files tests' fake APIs serve), check what the delivery maps to once fetched.
                let answers = requests.compactMap { request in
                    (try? Data(contentsOf: fixture.deletingLastPathComponent().appendingPathComponent("api/\(request.entity).\(request.id).json")))
                        .flatMap { try? JSONValue.parse($0) }
                }
                guard adapter.connector == nil, !answers.isEmpty, answers.count == requests.count else {
                    return Result(fixture: fixture, expected: expected, actual: .fetch(requests))
                }
                let fetched = zip(requests, answers).map { FetchedEntity(request: $0, entity: $1) }
                switch try adapter.complete(fetched, body: body) {
                case .mapped(let events): return Result(fixture: fixture, expected: expected, actual: .events(events))
                case .ignored(let reason): return Result(fixture: fixture, expected: expected, actual: .ignored(reason))
                case .needsEnrichment(let more): return Result(fixture: fixture, expected: expected, actual: .fetch(more))
                }
            }
        } catch {
            return Result(fixture: fixture, expected: expected, actual: .failed(error.code), message: error.message)
        }
    }

    /// ISO 8601 dates, as in the expectation files, with fractional seconds where the vendor's
    /// timestamps have them (Xero's `eventDateUtc`).
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard
                let date = (try? Date(text, strategy: .iso8601))
                    ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(text) is not an ISO 8601 date")
            }
            return date
        }
        return decoder
    }

    /// Sorted keys and ISO 8601 dates: the form expectation files are written in.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
