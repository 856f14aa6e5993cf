import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayTestSupport
import Logging
import Testing

/// Refusals are written in batches: every one counted, a sample kept, the kept rows bounded.
@Suite struct RejectionLogTests {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func rejection(_ code: String, at date: Date, source: String = "stripe") -> Rejection {
        Rejection(at: date, source: source, code: code, reason: "no signature matched", status: 401, size: 120, remoteAddress: "127.0.0.1", requestID: nil)
    }

    @Test func underAFloodEveryRefusalIsCountedAndASampleKept() async throws {
        let temporary = try TemporaryStore()
        let now = Date()
        let log = RejectionLog(store: temporary.store, keptPerCode: 10, now: { now }, logger: Self.logger)
        for _ in 0..<1_000 { log.record(Self.rejection("no_signature_matched", at: now)) }
        for _ in 0..<5 { log.record(Self.rejection("body_too_large", at: now)) }
        try await log.flush()
        try await log.flush()
        let counts = try await temporary.store.inbox.rejectionCounts()
        #expect(counts.map(\.code) == ["body_too_large", "no_signature_matched"])
        #expect(counts.map(\.count) == [5, 1_000])
        let kept = try await temporary.store.inbox.rejections(source: nil, code: nil, since: nil, limit: 10_000)
        #expect(kept.filter { $0.code == "no_signature_matched" }.count == 10)
        #expect(kept.filter { $0.code == "body_too_large" }.count == 5)
    }

    @Test func keptRowsAreBoundedByAgeAndNumber() async throws {
        let temporary = try TemporaryStore()
        let now = Date()
        let log = RejectionLog(store: temporary.store, retention: .init(keepDays: 7, maxRows: 25), keptPerCode: 1_000, now: { now }, logger: Self.logger)
        for _ in 0..<10 { log.record(Self.rejection("old", at: now.addingTimeInterval(-8 * 86_400))) }
        for index in 0..<40 { log.record(Self.rejection("recent_\(index / 10)", at: now)) }
        try await log.flush()
        let kept = try await temporary.store.inbox.rejections(source: nil, code: nil, since: nil, limit: 10_000)
        #expect(kept.count == 25)
        #expect(!kept.contains { $0.code == "old" })
        // The newest are kept; the counts still say how many there were.
        #expect(kept.first?.code == "recent_3")
        #expect(try await temporary.store.inbox.rejectionCounts().reduce(0) { $0 + $1.count } == 50)
    }
}
