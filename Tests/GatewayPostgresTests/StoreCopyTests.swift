import Foundation
import GatewayCore
import GatewayEngine
@testable import GatewayPostgres
import GatewayRepositories
import GatewayStore
import GatewayTestSupport
import PostgresNIO
import Testing

/// `store copy` between a real SQLite file and a real PostgreSQL, both ways: every table's rows
/// arrive as they were, the rebuilt ledger is the source's, a store holding data is never written
/// to, and a copy that stops half-way leaves its target refused until it is emptied.
@Suite(PostgresTestDatabase.enabled) struct StoreCopyTests {
    /// A moment with milliseconds, the kind a `Date`'s floating point can shift when written.
    static let now = YearStory.now.addingTimeInterval(0.123)

    /// A store holding something in every kind of table: a year of the program (deliveries,
    /// events, partners, plans, referrals, contracts, accruals), a paid payout, an outbound
    /// endpoint with its events and messages, console and portal sessions, a partner's submission,
    /// a delivery still waiting with a binary body, and a refusal at ingest.
    static func fill(_ store: any Repositories) async throws {
        let program = ProgramService(store: store)
        _ = try await WebhookEndpointService(store: store).add(WebhookEndpointInput(url: "https://hooks.example/all"), at: Events.date("2024-11-30"))
        let story = try await YearStory.load(into: store, program: program)
        let payout = try await program.createPayout(note: "December", at: now)
        _ = try await program.markPayoutPaid(payout.id, at: now.addingTimeInterval(1.001))
        // January's payment earns a line after the payout: the store holds open lines beside paid ones.
        try await YearStory.settle(
            Events.paid("in_b13", customer: "cus_bright", email: "ap@bright.example", dollars: 500, on: "2026-01-01"), id: "evt_after_payout", into: store)
        _ = try await ConsoleSessionService(store: store).create(at: now)
        let portal = PortalService(store: store)
        let link = try await portal.issueLink(for: story.acme.id, at: now)
        _ = try await portal.signIn(token: link.token, at: now.addingTimeInterval(0.5))
        _ = try await portal.submit(
            SubmissionInput(prospectName: "Globex", domain: "globex.example", contactName: "Ann", contactEmail: "ann@globex.example"), by: story.acme.id,
            at: now)
        _ = try await store.inbox.ingest(
            IncomingDelivery(
                source: "stripe", vendorDeliveryID: "evt_waiting", eventType: "invoice.paid", receivedAt: now, requestID: "req-1",
                body: Data([0, 255, 1, 128, 10]), headers: ["stripe-signature": "t=1,v1=ab"], verification: Verification(scheme: "stripe", matchedSecretIndex: 1)))
        try await store.inbox.recordRejections(
            [Rejection(at: now, source: "stripe", code: "no_signature_matched", reason: "no secret matched", status: 401, size: 12, remoteAddress: "127.0.0.1", requestID: nil)],
            counted: [RejectionCount(source: "stripe", code: "no_signature_matched", count: 1)], keepAfter: Events.date("2025-01-01"), maxRows: 100)
        // A full rebuild, as `ledger rebuild` does: the explanations it writes for events are what
        // the copy's own rebuild writes, so every row of the copy can be held equal to the source.
        try await store.ledger.recompute(rules: LedgerService(), at: now)
    }

    /// Every row of every table, by column name, in an order that does not depend on the store.
    static func dump(_ store: any StoreTransfer) async throws -> [String: [[String: TransferValue]]] {
        var tables: [String: [[String: TransferValue]]] = [:]
        for table in try await store.transferTables() {
            var rows: [[String: TransferValue]] = []
            var cursor: TransferCursor?
            repeat {
                let page = try await store.exportRows(of: table.name, after: cursor, limit: 50)
                rows += page.rows.map { Dictionary(uniqueKeysWithValues: zip(page.columns, $0)) }
                cursor = page.next
            } while cursor != nil
            tables[table.name] = rows.sorted { String(describing: $0.sorted { $0.key < $1.key }) < String(describing: $1.sorted { $0.key < $1.key }) }
        }
        return tables
    }

    /// Holds `store`'s rows to `expected`, table by table, so a failure names the table.
    static func expectSameRows(_ store: any StoreTransfer, _ expected: [String: [[String: TransferValue]]], sourceLocation: SourceLocation = #_sourceLocation)
        async throws
    {
        let found = try await dump(store)
        #expect(found.keys.sorted() == expected.keys.sorted(), sourceLocation: sourceLocation)
        for (table, rows) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(found[table] == rows, "\(table) in \(store.location)", sourceLocation: sourceLocation)
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func aStoreCopiedToPostgreSQLAndBackHoldsEveryRowAndTheSameLedger() async throws {
        let original = try TemporaryStore()
        try await Self.fill(original.store)
        let expected = try await Self.dump(original.sqlite)
        let lines = try await original.store.ledger.allAccruals()
        #expect(lines.contains { $0.state == .paid } && lines.contains { $0.state != .paid }, "the story has paid and unpaid lines")
        for table in ["delivery", "business_event", "accrual", "accrual_total", "payout", "outbound_event", "outbound_message", "console_session", "portal_session", "referral_submission", "rejection"] {
            #expect(expected[table]?.isEmpty == false, "the story fills \(table)")
        }

        try await PostgresTestDatabase.withFreshSchema { database in
            let postgres = PostgresStore(database: database, outboundEvents: OutboundEvents())
            let there = try await StoreCopy(from: original.sqlite, to: postgres, pageSize: 7).run(at: Self.now)
            #expect(Dictionary(uniqueKeysWithValues: there.tables.map { ($0.name, $0.rows) }) == expected.mapValues(\.count))
            #expect(there.accrualLines == lines.count)
            #expect(there.paidLines == lines.filter { $0.state == .paid }.count)
            #expect(try await postgres.copyMarker() == nil, "a verified copy is not marked")
            // Every value arrives as it was: dates, booleans, blobs, JSON text.
            try await Self.expectSameRows(postgres, expected)
            #expect(try await postgres.ledger.allAccruals() == lines)
            #expect(try await postgres.ledger.payouts() == original.store.ledger.payouts())
            #expect(try await ReportService(store: postgres).partnerBalances(at: Self.now) == original.reports.partnerBalances(at: Self.now))

            let back = try TemporaryStore()
            let home = try await StoreCopy(from: postgres, to: back.sqlite).run(at: Self.now)
            #expect(home.tables == there.tables)
            try await Self.expectSameRows(back.sqlite, expected)
            #expect(try await back.store.ledger.allAccruals() == lines, "paid lines are still paid, with their payout")

            // Ids go on after the copied ones in both stores, never handing one out twice.
            let highest = try await original.program.partners().map(\.id.rawValue).max() ?? 0
            for store in [postgres, back.sqlite] as [any Repositories] {
                let added = try await ProgramService(store: store).addPartner(PartnerInput(name: "After the move", kind: "peer_msp"), at: Self.now)
                #expect(added.id.rawValue == highest + 1)
            }
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aTargetHoldingDataIsRefusedAndLeftUntouched() async throws {
        let source = try TemporaryStore()
        try await Self.fill(source.store)
        try await PostgresTestDatabase.withFreshSchema { database in
            let postgres = PostgresStore(database: database, outboundEvents: OutboundEvents())
            _ = try await ProgramService(store: postgres).addPartner(PartnerInput(name: "Already here", kind: "client"), at: Self.now)
            let before = try await Self.dump(postgres)
            do {
                _ = try await StoreCopy(from: source.sqlite, to: postgres).run(at: Self.now)
                Issue.record("a store holding data was copied into")
            } catch let error as GatewayError {
                #expect(error.code == .conflict)
                #expect(error.message.contains("\(postgres.location) is not empty (rows in "))
                #expect(error.message.contains("partner: 1"))
                #expect(error.message.contains("never merges, so nothing was written"))
                #expect(error.message.contains("DROP SCHEMA"), "it says how to empty it")
                #expect(!error.message.contains("gateway:gateway@"), "never the password")
            }
            #expect(try await Self.dump(postgres) == before)
            #expect(try await postgres.copyMarker() == nil)

            // The other way: a SQLite store holding data is refused too.
            let busy = try TemporaryStore()
            _ = try await busy.program.addPartner(PartnerInput(name: "Here too", kind: "client"), at: Self.now)
            let busyBefore = try await Self.dump(busy.sqlite)
            await #expect(throws: GatewayError.self) { _ = try await StoreCopy(from: postgres, to: busy.sqlite).run(at: Self.now) }
            #expect(try await Self.dump(busy.sqlite) == busyBefore)
        }
    }

    struct Interrupted: Error {}

    @Test(.timeLimit(.minutes(5)))
    func aCopyStoppedHalfWayLeavesItsTargetRefusedUntilItIsEmptied() async throws {
        let source = try TemporaryStore()
        try await Self.fill(source.store)
        try await PostgresTestDatabase.withFreshSchema { database in
            let postgres = PostgresStore(database: database, outboundEvents: OutboundEvents())
            await #expect(throws: Interrupted.self) {
                _ = try await StoreCopy(from: source.sqlite, to: postgres).run(at: Self.now) { copied in
                    if copied.done == 6 { throw Interrupted() }
                }
            }
            let marker = try #require(try await postgres.copyMarker(), "the half-filled target is marked")
            #expect(marker.source == source.sqlite.location)
            #expect(marker.startedAt == Self.now)
            let halfway = try await Self.dump(postgres)
            #expect(halfway.values.contains { !$0.isEmpty }, "some tables were copied")

            // The next copy is refused, saying what happened and how to start over; nothing moves.
            for attempt in 1...2 {
                do {
                    _ = try await StoreCopy(from: source.sqlite, to: postgres).run(at: Self.now)
                    Issue.record("attempt \(attempt): a half-filled target was copied into")
                } catch let error as GatewayError {
                    #expect(error.code == .conflict)
                    #expect(error.message.contains("\(postgres.location) holds an unfinished store copy (from \(source.sqlite.location), started 2026-01-01T00:00:00Z)"))
                    #expect(error.message.contains("must not be used"))
                    #expect(error.message.contains("DROP SCHEMA name CASCADE"))
                }
            }
            #expect(try await Self.dump(postgres) == halfway)
            await #expect(throws: GatewayError.self) { try await StoreCopy.refuseUnfinishedCopy(in: postgres) }

            // The same from PostgreSQL into SQLite, and there starting over as the message says.
            try await PostgresTestDatabase.withFreshSchema { other in
                let complete = PostgresStore(database: other, outboundEvents: OutboundEvents())
                _ = try await StoreCopy(from: source.sqlite, to: complete).run(at: Self.now)
                let directory = try TemporaryDirectory(prefix: "gateway-copy-target")
                var target: SQLiteStore? = try SQLiteStore(directory: directory.url, outboundEvents: OutboundEvents())
                await #expect(throws: Interrupted.self) {
                    _ = try await StoreCopy(from: complete, to: target!).run(at: Self.now) { copied in
                        if copied.done == 3 { throw Interrupted() }
                    }
                }
                do {
                    _ = try await StoreCopy(from: complete, to: target!).run(at: Self.now)
                    Issue.record("a half-filled SQLite target was copied into")
                } catch let error as GatewayError {
                    #expect(error.message.contains("holds an unfinished store copy (from \(complete.location)"))
                    #expect(error.message.contains("move \(target!.location) (with its -wal and -shm files) aside or delete it"))
                }
                target = nil
                for suffix in ["", "-wal", "-shm"] {
                    try? FileManager.default.removeItem(at: directory.url.appendingPathComponent(SQLiteStore.fileName + suffix))
                }
                let fresh = try SQLiteStore(directory: directory.url, outboundEvents: OutboundEvents())
                let summary = try await StoreCopy(from: complete, to: fresh).run(at: Self.now)
                #expect(summary.accrualLines == (try await source.store.ledger.accrualCount()))
                try await Self.expectSameRows(fresh, try await Self.dump(source.sqlite))
                #expect(try await fresh.copyMarker() == nil)
            }
        }
    }
}
