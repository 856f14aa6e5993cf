import Foundation
import GRDB
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayStore
import GatewayTestSupport
import Logging
import Testing

/// A store written by the release before the engine layer (schema v10), opened by this one: the
/// SQL-only migration keeps every plan term and claim share, and the start-up step derives the
/// ledger again, once, with the same lines.
@Suite struct UpgradeTests {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A copy of `fixtures/stores/v10.sqlite`: Acme Accounting (share 2) and Harbor Law (share 1)
    /// both claim Bright Dental under the `split` rule, on a tiered plan with a cap, one-time lines
    /// counted, a 14-day hold and a second version from September 2025; one Stripe payment of
    /// 499.00 USD was processed (Acme 33.27, Harbor 16.63).
    static func upgradedCopy() throws -> (TemporaryDirectory, SQLiteStore) {
        let directory = try TemporaryDirectory(prefix: "gateway-upgrade")
        try FileManager.default.copyItem(
            at: Fixtures.root.appendingPathComponent("fixtures/stores/v10.sqlite"), to: directory.url.appendingPathComponent(SQLiteStore.fileName))
        return (directory, try SQLiteStore(directory: directory.url, outboundEvents: OutboundEvents()))
    }

    @Test func planTermsAndClaimSharesSurviveTheMigration() async throws {
        let (directory, store) = try Self.upgradedCopy()
        defer { withExtendedLifetime(directory) {} }
        let plan = try #require(try await store.program.plans().first)
        #expect(plan.versions.count == 2)
        let first = plan.versions[0].terms
        #expect(first.rules == [.recurringShare(steps: [RateStep(months: 12, rate: BasisPoints(1000)), RateStep(months: nil, rate: BasisPoints(500))])])
        #expect(first.tiers == [PerformanceTier(minConversions: 3, bonus: BasisPoints(200))])
        #expect(first.capPerReferral == Money(minorUnits: 500_000, currency: CurrencyCode("USD")!))
        #expect(first.capPerPartnerPerYear == nil)
        #expect(first.excludeOneTimeLines == false)
        #expect(first.holdDays == 14 && first.attributionWindowDays == 90)
        #expect(plan.versions[1].effectiveFrom == (try DateInput.parse("2025-09-01", field: "day")))
        #expect(plan.versions[1].terms.excludeOneTimeLines == true)
        let shares = try await store.program.referrals().map(\.referral.claimShare)
        #expect(shares == [2 * Referral.wholeClaim, Referral.wholeClaim])
    }

    @Test func theLedgerIsDerivedAgainOnceWithTheSameLines() async throws {
        let (directory, store) = try Self.upgradedCopy()
        let before = try await store.ledger.allAccruals().map { ($0.line.partnerID, $0.line.amount.minorUnits, $0.line.key) }
        // Lines lost since the last derivation are back after it: the ledger is computed, not copied.
        try await DatabaseQueue(path: directory.url.appendingPathComponent(SQLiteStore.fileName).path).write { db in
            try db.execute(sql: "DELETE FROM accrual")
        }
        #expect(try await store.ledger.derivedDataVersion() == nil)
        #expect(try await LedgerService.recomputeDerivedDataIfNeeded(in: store, at: Date(), logger: Self.logger))
        #expect(try await store.ledger.derivedDataVersion() == LedgerService.derivedDataVersion)
        let after = try await store.ledger.allAccruals().map { ($0.line.partnerID, $0.line.amount.minorUnits, $0.line.key) }
        #expect(after.map(\.0) == before.map(\.0))
        #expect(after.map(\.1) == [3_327, 1_663])
        #expect(after.map(\.1) == before.map(\.1))
        #expect(after.map(\.2) == before.map(\.2))
        #expect(try await LedgerService.recomputeDerivedDataIfNeeded(in: store, at: Date(), logger: Self.logger) == false)
    }
}
