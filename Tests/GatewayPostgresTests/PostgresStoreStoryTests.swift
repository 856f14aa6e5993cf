import Foundation
import GatewayCore
import GatewayEngine
@testable import GatewayPostgres
import GatewayRepositories
import GatewayTestSupport
import PostgresNIO
import Testing

/// The same year of a referral program, run through the engine on the SQLite store and on the
/// PostgreSQL store: every figure the ledger and the reports give must be the same.
@Suite(PostgresTestDatabase.enabled) struct PostgresStoreStoryTests {
    /// What can differ between two stores and still be the same ledger: row ids.
    struct Line: Hashable, Comparable {
        var line: AccrualLine
        var state: Accrual.State
        var approved: Bool
        var inPayout: Bool

        init(_ accrual: Accrual) {
            line = accrual.line
            line.sourceDelivery = nil
            state = accrual.state
            approved = accrual.approvedAt != nil
            inPayout = accrual.payoutID != nil
        }

        static func < (lhs: Line, rhs: Line) -> Bool { lhs.line.key < rhs.line.key }
    }

    func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func aYearOfTheProgramGivesTheSameLedgerAndReportsOnBothStores() async throws {
        let sqlite = try TemporaryStore()
        let sqliteStory = try await YearStory.load(into: sqlite.store, program: sqlite.program)
        try await PostgresTestDatabase.withFreshSchema { database in
            let postgres = PostgresStore(database: database, outboundEvents: OutboundEvents())
            #expect(try await postgres.isReady())
            try await postgres.checkWritable()
            let program = ProgramService(store: postgres)
            let reports = ReportService(store: postgres)
            let story = try await YearStory.load(into: postgres, program: program)
            let now = YearStory.now

            let expected = try await sqlite.store.ledger.allAccruals()
            let lines = try await postgres.ledger.allAccruals()
            #expect(!lines.isEmpty)
            #expect(lines.map(Line.init).sorted() == expected.map(Line.init).sorted())
            #expect(try await postgres.ledger.accrualCount() == expected.count)
            let contracts = try await postgres.ledger.contracts().map { "\($0.referralID) \($0.customer) \($0.startedAt) \(String(describing: $0.endedAt))" }
            let expectedContracts = try await sqlite.store.ledger.contracts().map {
                "\($0.referralID) \($0.customer) \($0.startedAt) \(String(describing: $0.endedAt))"
            }
            #expect(contracts.sorted() == expectedContracts.sorted())
            #expect(try await postgres.ledger.conflicts() == sqlite.store.ledger.conflicts())

            #expect(try await reports.partnerBalances(at: now) == sqlite.reports.partnerBalances(at: now))
            for (partner, expectedPartner) in [(story.acme, sqliteStory.acme), (story.happy, sqliteStory.happy)] {
                let statement = try await reports.statement(partner: partner.id, period: YearStory.year, at: now)
                let expectedStatement = try await sqlite.reports.statement(partner: expectedPartner.id, period: YearStory.year, at: now)
                #expect(statement.lines.map { Line($0.accrual) } == expectedStatement.lines.map { Line($0.accrual) })
                #expect(statement.balance == expectedStatement.balance)
            }
            #expect(try await reports.clientRoster().clients == sqlite.reports.clientRoster().clients)
            #expect(try await json(reports.giveGet(at: now, quietAfterDays: 90)) == json(sqlite.reports.giveGet(at: now, quietAfterDays: 90)))

            // Every delivery says the same of its events on both stores.
            let deliveries = try await postgres.inbox.deliveries(matching: DeliveryQuery(limit: 1000)).sorted { $0.vendorDeliveryID < $1.vendorDeliveryID }
            let expectedDeliveries = try await sqlite.store.inbox.deliveries(matching: DeliveryQuery(limit: 1000)).sorted {
                $0.vendorDeliveryID < $1.vendorDeliveryID
            }
            #expect(deliveries.map(\.statusReason) == expectedDeliveries.map(\.statusReason))
            #expect(deliveries.allSatisfy { $0.status == .processed })

            // Approving, paying out and marking paid move the same lines on both.
            for service in [program, sqlite.program] {
                let payout = try await service.createPayout(note: "December", at: now)
                _ = try await service.markPayoutPaid(payout.id, at: now)
            }
            #expect(try await postgres.ledger.allAccruals().map(Line.init).sorted() == sqlite.store.ledger.allAccruals().map(Line.init).sorted())
            #expect(try await postgres.ledger.payouts().map { $0.lines.map(Line.init).sorted() } == sqlite.store.ledger.payouts().map { $0.lines.map(Line.init).sorted() })
            #expect(try await reports.partnerBalances(at: now) == sqlite.reports.partnerBalances(at: now))
            await #expect(throws: GatewayError.self) { try await program.markPayoutPaid(1, at: now) }

            // Rebuilding the derived data from the stored events gives the same ledger again.
            let before = try await postgres.ledger.allAccruals().map(Line.init).sorted()
            #expect(try await postgres.ledger.rebuildDerivedData(version: 99, rules: LedgerService(), at: now))
            #expect(try await !postgres.ledger.rebuildDerivedData(version: 99, rules: LedgerService(), at: now), "done once")
            #expect(try await postgres.ledger.derivedDataVersion() == 99)
            #expect(try await postgres.ledger.allAccruals().map(Line.init).sorted() == before)
        }
    }

    @Test func aReplayComparesTheLedgerAndADryRunKeepsNothing() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            let postgres = PostgresStore(database: database, outboundEvents: OutboundEvents())
            let program = ProgramService(store: postgres)
            let now = Events.date("2025-07-01")
            try await Stories.brightDental(program, at: Events.date("2025-05-01"))
            try await YearStory.settle(
                Events.paid("in_1", customer: "cus_bd", email: "ap@brightdental.example", dollars: 1000, on: "2025-06-01"), id: "evt_1", into: postgres)
            let paid = try #require(try await postgres.inbox.deliveries(matching: DeliveryQuery()).first)
            let lines = try await postgres.ledger.allAccruals()
            #expect(lines.map(\.line.amount) == [Events.usd(100)], "10 % of the payment")

            // The mapping now reads 1,200: a dry run says what would change and keeps nothing.
            let fixed = Events.paid("in_1", customer: "cus_bd", email: "ap@brightdental.example", dollars: 1200, on: "2025-06-01")
            let dry = try await postgres.inbox.replay([(paid.id, .mapped([fixed], adapterVersion: 2))], dryRun: true, rules: LedgerService(), at: now)
            #expect(dry.statuses == [paid.id: .processed])
            #expect(dry.diff.changed.count == 1)
            #expect(try await postgres.ledger.allAccruals().map(\.line.amount) == [Events.usd(100)])
            #expect(try await postgres.inbox.businessEvents(of: paid.id).first?.adapterVersion == 1)

            let applied = try await postgres.inbox.replay([(paid.id, .mapped([fixed], adapterVersion: 2))], dryRun: false, rules: LedgerService(), at: now)
            #expect(applied.diff.changed.count == 1)
            #expect(try await postgres.ledger.allAccruals().map(\.line.amount) == [Events.usd(120)])
            #expect(try await postgres.inbox.businessEvents(of: paid.id).first?.adapterVersion == 2)
            #expect(try await program.auditLog(limit: 1).first?.action == "deliveries.replayed")
        }
    }
}

/// Processing on two instances at once, while the program changes: the ledger they leave is the one
/// a recomputation from scratch gives.
@Suite(PostgresTestDatabase.enabled) struct PostgresConcurrentProcessingTests {
    @Test func twoInstancesProcessingWhileAReferralIsAddedLeaveTheLedgerARecomputationGives() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            let stores = databases.map { PostgresStore(database: $0, outboundEvents: OutboundEvents()) }
            let program = ProgramService(store: stores[0])
            let story = try await Stories.brightDental(program, introduced: "2024-12-01", at: Events.date("2024-12-01"))
            let now = Events.date("2025-12-31")
            // Payments of Bright Dental (referred) and of Globex (referred while they are processed).
            for month in 1...12 {
                for (customer, domain) in [("cus_bd", "brightdental.example"), ("cus_gx", "globex.example")] {
                    let event = Events.paid("in_\(customer)_\(month)", customer: customer, email: "ap@\(domain)", dollars: 1000, on: String(format: "2025-%02d-05", month))
                    _ = try await stores[month % 2].inbox.ingest(
                        IncomingDelivery(
                            source: "stripe", vendorDeliveryID: "evt_\(customer)_\(month)", eventType: "invoice.paid", receivedAt: now, requestID: nil,
                            body: Data(try JSONEncoder().encode(event)), headers: [:], verification: Verification(scheme: "stripe", matchedSecretIndex: 0)))
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for store in stores {
                    group.addTask {
                        while true {
                            let batch = try await store.inbox.claimDeliveries(limit: 3, lease: 600, at: now)
                            if batch.isEmpty { return }
                            let results = try batch.map { delivery in
                                (delivery.id, ProcessingResult.mapped([try JSONDecoder().decode(BusinessEvent.self, from: delivery.body)], adapterVersion: 1))
                            }
                            try await store.inbox.settle(results, rules: LedgerService(), at: now)
                        }
                    }
                }
                group.addTask {
                    _ = try await ProgramService(store: stores[1]).addReferral(
                        ReferralInput(
                            partnerID: story.partner.id.rawValue, planID: story.plan.id.rawValue, prospectName: "Globex", domains: ["globex.example"],
                            introducedAt: "2025-01-02"), at: now)
                }
                try await group.waitForAll()
            }
            let processed = try await stores[0].ledger.allAccruals().map(PostgresStoreStoryTests.Line.init).sorted()
            #expect(Set(processed.map(\.line.referralID)).count == 2, "both referrals earn")
            try await stores[1].ledger.recompute(rules: LedgerService(), at: now)
            #expect(try await stores[0].ledger.allAccruals().map(PostgresStoreStoryTests.Line.init).sorted() == processed)
            #expect(processed.count == 24, "every payment of both customers earned once")
        }
    }

    @Test func aBatchWithEventsWaitsForARecomputationElsewhereAndOneWithoutDoesNot() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            let inbox = PostgresDeliveryInbox(database: databases[1])
            let now = Events.date("2025-06-01")
            var ids: [DeliveryID] = []
            for index in 0..<2 {
                ids.append(
                    try await inbox.ingest(
                        IncomingDelivery(
                            source: "stripe", vendorDeliveryID: "evt_\(index)", eventType: "invoice.paid", receivedAt: now, requestID: nil, body: Data(),
                            headers: [:], verification: Verification(scheme: "stripe", matchedSecretIndex: 0))
                    ).deliveryID)
            }
            let (locked, lockTaken) = AsyncStream.makeStream(of: Void.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                // The other instance recomputes the ledger for eight seconds (it holds the lock every
                // recomputation takes): long enough that a loaded machine cannot blur the two cases.
                group.addTask {
                    try await databases[0].transaction { connection in
                        try await connection.take(.recomputation, logger: PostgresTestDatabase.logger)
                        lockTaken.yield()
                        try await Task.sleep(for: .seconds(8))
                    }
                }
                for await _ in locked { break }
                let lockedAt = ContinuousClock.now
                try await inbox.settle([(ids[0], .ignored(reason: "unmapped", adapterVersion: 1))], rules: LedgerService(), at: now)
                #expect(ContinuousClock.now - lockedAt < .seconds(7), "a batch without events does not wait for the lock")
                let event = Events.paid("in_1", customer: "cus_1", email: "ap@example.com", dollars: 10, on: "2025-05-01")
                try await inbox.settle([(ids[1], .mapped([event], adapterVersion: 1))], rules: LedgerService(), at: now)
                #expect(ContinuousClock.now - lockedAt >= .seconds(8), "a batch with events waited for the recomputation to commit")
                try await group.waitForAll()
            }
        }
    }
}
