import Foundation
public import GatewayEngine
public import GatewayRepositories
public import GatewayStore

/// A real SQLite store in a temporary directory, with the engine's services over it; the
/// directory goes when the last reference does.
public final class TemporaryStore: Sendable {
    public let directory: TemporaryDirectory
    public let sqlite: SQLiteStore
    public var store: any Repositories { sqlite }
    public let program: ProgramService
    public let reports: ReportService

    public init() throws {
        directory = try TemporaryDirectory(prefix: "gateway-store")
        sqlite = try SQLiteStore(directory: directory.url, outboundEvents: OutboundEvents())
        program = ProgramService(store: sqlite)
        reports = ReportService(store: sqlite)
    }
}
