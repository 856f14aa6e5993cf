import Foundation
import GRDB
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayStore
import GatewayTestSupport
import Testing

/// A statement's balance comes from totals that triggers keep plus the held and unapproved open
/// lines; it must equal reading every line's status, whatever inserts, updates and deletes the
/// ledger went through.
@Suite struct BalanceTests {
    @Test(arguments: 1...12) func theBalanceEqualsEveryLineReadOneByOne(seed: UInt64) async throws {
        let temporary = try TemporaryStore()
        let (store, program) = (temporary.store, temporary.program)
        let start = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01
        for name in ["Acme", "Brightline"] {
            _ = try await program.addPartner(PartnerInput(name: name, kind: "center_of_influence"), at: start)
        }
        let plan = try await program.addPlan(
            PlanInput(name: "10%", terms: PlanTerms(effectiveFrom: start, rules: [.recurringShare(rate: BasisPoints(1000), months: nil)])), at: start)
        for partner in [1, 2] {
            _ = try await program.addReferral(
                ReferralInput(partnerID: Int64(partner), planID: plan.id.rawValue, prospectName: "P\(partner)", introducedAt: "2025-01-01"), at: start)
        }
        let now = start.addingTimeInterval(200 * 86_400)
        let queue = try DatabaseQueue(path: temporary.sqlite.path)
        try await queue.write { db in
            var random = SeededGenerator(seed: seed)
            try db.execute(sql: "INSERT INTO payout (id, created_at) VALUES (1, ?), (2, ?)", arguments: [now, now])
            for index in 0..<300 {
                let partner = Int64.random(in: 1...2, using: &random)
                let currency = ["USD", "EUR"].randomElement(using: &random)!
                let amount = Int64.random(in: -2_000...10_000, using: &random)
                let hold = start.addingTimeInterval(Double(Int.random(in: 0...400, using: &random)) * 86_400)
                let state = ["open", "open", "open", "paid", "voided"].randomElement(using: &random)!
                let payout: Int64? = state == "paid" || Bool.random(using: &random) && Bool.random(using: &random) ? 1 : nil
                let needsApproval = Int.random(in: 0..<4, using: &random) == 0
                let approved: Date? = needsApproval && Bool.random(using: &random) ? now : nil
                try db.execute(
                    sql: """
                        INSERT INTO accrual (accrual_key, partner_id, referral_id, beneficiary, business_key, rule, plan_id, plan_version,
                            amount_minor, currency, earned_at, hold_until, note, needs_approval, state, approved_at, payout_id, updated_at)
                        VALUES (?, ?, ?, 'partner', ?, 'recurring_share', ?, 1, ?, ?, ?, ?, '', ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        "k\(index)", partner, partner, "b\(index)", plan.id.rawValue, amount, currency, hold.addingTimeInterval(-30 * 86_400), hold,
                        needsApproval, state, approved, payout, now,
                    ])
            }
            // What the ledger does to lines later: amounts change, lines are voided, batched,
            // paid, approved, moved, deleted.
            for _ in 0..<150 {
                let id = Int64.random(in: 1...300, using: &random)
                switch Int.random(in: 0..<6, using: &random) {
                case 0: try db.execute(sql: "UPDATE accrual SET amount_minor = ? WHERE id = ?", arguments: [Int64.random(in: -500...9_000, using: &random), id])
                case 1: try db.execute(sql: "UPDATE accrual SET state = 'voided', payout_id = NULL WHERE id = ? AND state = 'open'", arguments: [id])
                case 2: try db.execute(sql: "UPDATE accrual SET payout_id = 2 WHERE id = ? AND state = 'open'", arguments: [id])
                case 3: try db.execute(sql: "UPDATE accrual SET state = 'paid' WHERE payout_id = 2")
                case 4: try db.execute(sql: "UPDATE accrual SET approved_at = ?, partner_id = 3 - partner_id WHERE id = ?", arguments: [now, id])
                default: try db.execute(sql: "DELETE FROM accrual WHERE id = ?", arguments: [id])
                }
            }
        }

        let period = ReportPeriod(start: start, end: now)
        let all = try await store.reports.partnerBalances(at: now)
        for partner in [PartnerID(1), PartnerID(2)] {
            let expected = StatusTotals.sum(try await store.ledger.accruals(partner: partner).map { ($0.line.amount, $0.status(at: now)) })
            let statement = try await temporary.reports.statement(partner: partner, period: period, at: now).balance
            for balance in [statement, all[partner] ?? []] {
                #expect(balance.map(\.currency) == expected.map(\.currency), "seed \(seed)")
                for (got, want) in zip(balance, expected) {
                    #expect(got.lines == want.lines, "seed \(seed), \(want.currency)")
                    for status in Accrual.Status.allCases {
                        #expect(got.amount(status) == want.amount(status), "seed \(seed), \(want.currency), \(status)")
                    }
                }
            }
        }
    }
}
