import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayTestSupport
import Testing

/// The pure parts of `store copy`: the order tables are copied in, the refusal of schemas that
/// differ, and the comparison of the source's ledger with the rebuilt target's.
@Suite struct StoreCopyPlanTests {
    static func table(_ name: String, _ columns: [String] = ["id"], dependsOn: [String] = []) -> TransferTable {
        TransferTable(name: name, columns: columns, dependsOn: dependsOn)
    }

    @Test func tablesComeAfterWhatTheyDependOnAndInTheSameOrderEveryTime() throws {
        let source = [
            Self.table("accrual", dependsOn: ["partner", "payout", "referral"]), Self.table("accrual_total", dependsOn: ["accrual"]),
            Self.table("referral", dependsOn: ["partner", "plan"]), Self.table("partner"), Self.table("plan"), Self.table("payout"),
            Self.table("audit_log"),
        ]
        // The target names one more dependency (a trigger its schema has): it is honoured too.
        var target = source.reversed().map { $0 }
        target[target.firstIndex { $0.name == "audit_log" }!].dependsOn = ["plan"]
        let plan = try StoreCopyPlan(source: source, target: target, sourceLocation: "a", targetLocation: "b")
        #expect(plan.tables.map(\.name) == ["partner", "payout", "plan", "audit_log", "referral", "accrual", "accrual_total"])
        let again = try StoreCopyPlan(source: source.shuffled(), target: target.shuffled(), sourceLocation: "a", targetLocation: "b")
        #expect(again.tables.map(\.name) == plan.tables.map(\.name))
    }

    @Test func schemasThatDifferAreRefusedNamingTheDifferences() {
        let source = [Self.table("partner", ["id", "name", "deactivated_at"]), Self.table("store_extra")]
        let target = [Self.table("partner", ["id", "name", "email"]), Self.table("plan")]
        #expect(throws: GatewayError.invalid(
            """
            the schemas of /data/gateway.sqlite and postgres://gateway@db:5432/referrals differ (tables only in the source: store_extra; \
            tables only in the target: plan; partner columns only in the source: deactivated_at; partner columns only in the target: email); \
            migrate both with this build of referral-gateway first
            """)) {
            try StoreCopyPlan(source: source, target: target, sourceLocation: "/data/gateway.sqlite", targetLocation: "postgres://gateway@db:5432/referrals")
        }
    }

    @Test func dependenciesInACircleAreRefused() {
        let tables = [Self.table("a", dependsOn: ["b"]), Self.table("b", dependsOn: ["a"]), Self.table("c")]
        #expect(throws: GatewayError.self) { try StoreCopyPlan(source: tables, target: tables, sourceLocation: "a", targetLocation: "b") }
    }

    static func accrual(_ key: String, amount: Int64 = 10_000, state: Accrual.State = .open, earned: Date = Events.date("2025-06-01"), payout: Int64? = nil) -> Accrual {
        Accrual(
            id: AccrualID(1), contractID: ContractID(1),
            line: AccrualLine(
                key: key, partnerID: PartnerID(1), referralID: ReferralID(2), sourceDelivery: DeliveryID(3), businessKey: "invoice:in_1",
                rule: "recurring_share", planID: PlanID(1), planVersion: 1, basis: Events.usd(1000), rate: BasisPoints(1000),
                amount: Money(minorUnits: amount, currency: Events.usd(1).currency), earnedAt: earned, holdUntil: earned.addingTimeInterval(30 * 86_400)),
            state: state, payoutID: payout)
    }

    @Test func theLedgerComparisonNamesEachLineAndFieldThatDiffersButNoAmount() {
        let source = [Self.accrual("a", state: .paid, payout: 1), Self.accrual("b"), Self.accrual("c")]
        let target = [Self.accrual("a", state: .open, payout: nil), Self.accrual("b", amount: 9_999), Self.accrual("d")]
        let differences = CopiedLedger.differences(source: source, target: target)
        #expect(differences == [
            "line a differs in state, payout", "line b differs in amount", "line c is missing from the target", "line d is only in the target",
        ])
        #expect(!differences.joined().contains("9999") && !differences.joined().contains("99.99"))
        #expect(CopiedLedger.differences(source: source, target: source).isEmpty)
    }

    @Test func datesCompareToTheMillisecondTheSQLiteStoreKeeps() {
        let instant = Events.date("2025-06-01").addingTimeInterval(0.123)
        let fromPostgres = Self.accrual("a", earned: instant.addingTimeInterval(0.000_456))
        #expect(CopiedLedger.differences(source: [fromPostgres], target: [Self.accrual("a", earned: instant)]).isEmpty)
        #expect(CopiedLedger.differences(source: [fromPostgres], target: [Self.accrual("a", earned: instant.addingTimeInterval(0.001))]) == [
            "line a differs in earned at, hold until",
        ])
    }
}
