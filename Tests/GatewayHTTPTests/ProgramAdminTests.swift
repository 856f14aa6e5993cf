import Foundation
import GatewayAdapters
import GatewayCore
import GatewayHTTP
import GatewayEngine
import GatewayRepositories
import GatewayStore
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The program engine through the admin API, on a live server with a real store.
@Suite struct ProgramAdminTests {
    struct Created: Decodable { var id: Int64 }
    struct Line: Decodable {
        var id: Int64
        var rule: String
        var status: String
        var amount: Money
        var adjusts: String?
        var beneficiary: String
    }
    struct PayoutBody: Decodable {
        struct Total: Decodable {
            var partner_id: Int64
            var amount: Money
        }
        var id: Int64
        var totals: [Total]
        var paid_at: Date?
    }
    struct ReferralBody: Decodable {
        var id: Int64
        var status: String
        var flags: [String]
    }

    func call<T: Decodable>(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ json: String? = nil, expect status: HTTPResponse.Status = .ok,
        as: T.Type = T.self
    ) async throws -> T {
        try await client.execute(uri: uri, method: method, headers: TestGateway.adminHeaders, body: json.map { ByteBuffer(string: $0) }) { response in
            #expect(response.status == status, "\(method) \(uri): \(String(buffer: response.body))")
            return try T.from(response.body)
        }
    }

    func deliver(_ client: some TestClientProtocol, _ body: Data, signedAt: Date = Date()) async throws {
        try await client.execute(
            uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body, at: signedAt), body: ByteBuffer(bytes: body)
        ) {
            #expect($0.status == .ok)
        }
    }

    /// Stripe's invoice.paid fixture with another invoice id, amount and date.
    func invoice(_ id: String, cents: Int, paidAt: Int) throws -> Data {
        let text = try String(contentsOf: TestGateway.root.appendingPathComponent("fixtures/stripe/invoice.paid.json"), encoding: .utf8)
            .replacingOccurrences(of: "evt_1RZq3LKx7aQ2mN0pV1eT9bYc", with: "evt_\(id)")
            .replacingOccurrences(of: "in_1RZq3HKx7aQ2mN0pXf4sLk2Q", with: id)
            .replacingOccurrences(of: "49900", with: String(cents))
            .replacingOccurrences(of: "1748736004", with: String(paidAt))
        return Data(text.utf8)
    }

    @Test func aPaymentIsPaidOutThenARefundClawsItBackFromTheNextPayout() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            let acme: Created = try await call(client, .post, "/admin/partners", #"{"name":"Acme Accounting","kind":"center_of_influence"}"#, expect: .created)
            let plan: Created = try await call(
                client, .post, "/admin/plans", #"{"name":"COI","rules":[{"type":"recurring_share","rate_bps":1000}],"hold_days":30}"#, expect: .created)
            let _: ReferralBody = try await call(
                client, .post, "/admin/referrals",
                #"{"partner_id":\#(acme.id),"plan_id":\#(plan.id),"prospect_name":"Bright Dental","domains":["brightdental.example"],"introduced_at":"2025-05-20T00:00:00Z"}"#,
                expect: .created)
            try await deliver(client, try invoice("in_a", cents: 49_900, paidAt: 1_748_736_004))
            try await gateway.processor.drain()

            let payout: PayoutBody = try await call(client, .post, "/admin/payouts", #"{"note":"June"}"#, expect: .created)
            #expect(payout.totals.map(\.amount.minorUnits) == [4_990])
            let paid: PayoutBody = try await call(client, .post, "/admin/payouts/\(payout.id)/paid")
            #expect(paid.paid_at != nil)
            let _: Refusal = try await call(client, .post, "/admin/payouts/\(payout.id)/paid", expect: .unprocessableContent)

            // Stripe reports a $100 credit note to the customer's balance on the paid invoice: a
            // clawback, deducted from the next payout.
            let creditNote = try String(
                contentsOf: TestGateway.root.appendingPathComponent("fixtures/stripe/credit_note.created.credit-balance.json"), encoding: .utf8)
                .replacingOccurrences(of: "in_1RZq3HKx7aQ2mN0pXf4sLk2Q", with: "in_a").replacingOccurrences(of: "5000", with: "10000")
            try await deliver(client, Data(creditNote.utf8))
            try await gateway.processor.drain()
            let lines: [Line] = try await call(client, .get, "/admin/accruals?partner_id=\(acme.id)")
            #expect(lines.map(\.status).sorted() == ["paid", "payable"])
            #expect(lines.first { $0.adjusts != nil }?.amount.minorUnits == -1_000)
            #expect(lines.first { $0.status == "paid" }?.amount.minorUnits == 4_990)

            // Only a clawback is payable: the payee nets negative, so no batch yet.
            let _: Refusal = try await call(client, .post, "/admin/payouts", "{}", expect: .unprocessableContent)
            try await deliver(client, try invoice("in_b", cents: 49_900, paidAt: 1_751_328_004))
            try await gateway.processor.drain()
            let next: PayoutBody = try await call(client, .post, "/admin/payouts", "{}", expect: .created)
            #expect(next.totals.map(\.amount.minorUnits) == [3_990])
        }
    }

    @Test func referralsAreQualifiedLostOverriddenAndFlaggedThroughTheAPI() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            let acme: Created = try await call(
                client, .post, "/admin/partners", #"{"name":"Acme Accounting","kind":"center_of_influence","specialty":"accountant","domains":["acme-cpa.example"]}"#,
                expect: .created)
            let harbor: Created = try await call(client, .post, "/admin/partners", #"{"name":"Harbor Law","kind":"center_of_influence"}"#, expect: .created)
            let plan: Created = try await call(
                client, .post, "/admin/plans",
                #"{"name":"Hybrid","rules":[{"type":"qualified_meeting","amount":{"minor_units":25000,"currency":"USD"}},{"type":"recurring_share","rate_bps":1000}]}"#,
                expect: .created)

            // A referral of the partner's own company is refused.
            let refusal: Refusal = try await call(
                client, .post, "/admin/referrals", #"{"partner_id":\#(acme.id),"plan_id":\#(plan.id),"prospect_name":"Ourselves","domains":["acme-cpa.example"]}"#,
                expect: .unprocessableContent)
            #expect(refusal.reason.contains("self-referral"))

            let first: ReferralBody = try await call(
                client, .post, "/admin/referrals",
                #"{"partner_id":\#(acme.id),"plan_id":\#(plan.id),"prospect_name":"Bright Dental","domains":["brightdental.example"],"introduced_at":"2025-05-20T00:00:00Z"}"#,
                expect: .created)
            let second: ReferralBody = try await call(
                client, .post, "/admin/referrals",
                #"{"partner_id":\#(harbor.id),"plan_id":\#(plan.id),"prospect_name":"Bright Dental PC","domains":["brightdental.example"],"introduced_at":"2025-05-25T00:00:00Z"}"#,
                expect: .created)
            #expect(first.flags.isEmpty)
            #expect(second.flags.first?.contains("already claimed by referral \(first.id)") == true)

            let qualified: ReferralBody = try await call(client, .post, "/admin/referrals/\(first.id)/qualify", #"{"on":"2025-05-28T00:00:00Z"}"#)
            #expect(qualified.status == "expired", "read today, long after its window, with no contract")
            var lines: [Line] = try await call(client, .get, "/admin/accruals?partner_id=\(acme.id)")
            #expect(lines.map(\.rule) == ["qualified_meeting"])
            #expect(lines.first?.amount.minorUnits == 25_000)

            try await deliver(client, try invoice("in_a", cents: 49_900, paidAt: 1_748_736_004))
            try await gateway.processor.drain()
            lines = try await call(client, .get, "/admin/accruals?partner_id=\(acme.id)")
            #expect(lines.map(\.rule).sorted() == ["qualified_meeting", "recurring_share"])

            // The admin decides Harbor made the introduction that counted.
            let _: ReferralBody = try await call(
                client, .post, "/admin/referrals/\(second.id)/override", #"{"customer":"stripe:cus_SUq8vD3kLm2NpQ","reason":"Harbor brought them to the meeting"}"#)
            lines = try await call(client, .get, "/admin/accruals?partner_id=\(acme.id)&status=payable")
            #expect(lines.map(\.rule) == ["qualified_meeting"])
            let harborLines: [Line] = try await call(client, .get, "/admin/accruals?partner_id=\(harbor.id)")
            #expect(harborLines.map(\.amount.minorUnits) == [4_990])

            struct Audit: Decodable { var action: String }
            let audit: [Audit] = try await call(client, .get, "/admin/audit")
            #expect(audit.first?.action == "attribution.overridden")

            let lost: ReferralBody = try await call(client, .post, "/admin/referrals/\(first.id)/lose", #"{"reason":"went with another MSP"}"#)
            #expect(lost.status == "lost")
        }
    }

    @Test func theApprovalThresholdHoldsLargeLinesUntilAnAdminApproves() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            let _: ProgramSettings = try await call(client, .put, "/admin/settings", #"{"conflict_rule":"first_valid_claim","approval_thresholds":{"USD":100000}}"#)
            let acme: Created = try await call(client, .post, "/admin/partners", #"{"name":"Acme","kind":"vcio"}"#, expect: .created)
            let plan: Created = try await call(
                client, .post, "/admin/plans", #"{"name":"Big fee","rules":[{"type":"finder_fee","amount":{"minor_units":250000,"currency":"USD"}}]}"#,
                expect: .created)
            let _: ReferralBody = try await call(
                client, .post, "/admin/referrals",
                #"{"partner_id":\#(acme.id),"plan_id":\#(plan.id),"prospect_name":"Bright Dental","domains":["brightdental.example"],"introduced_at":"2025-05-20T00:00:00Z"}"#,
                expect: .created)
            try await deliver(client, try invoice("in_a", cents: 49_900, paidAt: 1_748_736_004))
            try await gateway.processor.drain()
            let lines: [Line] = try await call(client, .get, "/admin/accruals")
            #expect(lines.map(\.status) == ["awaiting_approval"])
            let _: Refusal = try await call(client, .post, "/admin/payouts", "{}", expect: .unprocessableContent)
            let approved: Line = try await call(client, .post, "/admin/accruals/\(lines[0].id)/approve")
            #expect(approved.status == "payable")
            let payout: PayoutBody = try await call(client, .post, "/admin/payouts", "{}", expect: .created)
            #expect(payout.totals.map(\.amount.minorUnits) == [250_000])
        }
    }

    @Test func giveAndGetComparesEachSideOverTheWindowAndFlagsTippedAndQuietPartners() async throws {
        let now = Events.date("2025-12-01")
        let gateway = try TestGateway(now: { now })
        try await gateway.application.test(.live) { client in
            let acme: Created = try await call(client, .post, "/admin/partners", #"{"name":"Acme Accounting","kind":"center_of_influence"}"#, expect: .created)
            let quiet: Created = try await call(client, .post, "/admin/partners", #"{"name":"Old Friend","kind":"peer_msp"}"#, expect: .created)
            let plan: Created = try await call(client, .post, "/admin/plans", #"{"name":"P","rules":[{"type":"recurring_share","rate_bps":500}]}"#, expect: .created)
            let _: ReferralBody = try await call(
                client, .post, "/admin/referrals",
                #"{"partner_id":\#(acme.id),"plan_id":\#(plan.id),"prospect_name":"Bright Dental","domains":["brightdental.example"],"introduced_at":"2025-05-20T00:00:00Z"}"#,
                expect: .created)
            try await deliver(client, try invoice("in_a", cents: 49_900, paidAt: 1_748_736_004), signedAt: now)
            try await gateway.processor.drain()
            let _: OutboundReferral = try await call(
                client, .post, "/admin/outbound-referrals",
                #"{"partner_id":\#(quiet.id),"client_name":"Dr. Lee's practice","referred_at":"2024-01-10T00:00:00Z","monthly_value":{"minor_units":30000,"currency":"USD"}}"#,
                expect: .created)

            struct Balance: Decodable {
                var partner_id: Int64
                var referrals_received: Int
                var contracts_signed: Int
                var mrr_received: [Money]
                var referrals_given: Int
                var mrr_given: [Money]
                var flags: [String]
            }
            // Over the default twelve months, the 2024 give-back is out of the window.
            var balances: [Balance] = try await call(client, .get, "/admin/give-get?quiet_days=365")
            let acmeBalance = try #require(balances.first { $0.partner_id == acme.id })
            #expect(acmeBalance.referrals_received == 1)
            #expect(acmeBalance.contracts_signed == 1)
            #expect(acmeBalance.mrr_received.map(\.minorUnits) == [49_900])
            #expect(acmeBalance.flags == ["owed_give_back"])
            var quietBalance = try #require(balances.first { $0.partner_id == quiet.id })
            #expect(quietBalance.referrals_given == 0)
            #expect(quietBalance.flags == ["quiet"])
            let owed: [Balance] = try await call(client, .get, "/admin/give-get?owed=true")
            #expect(owed.map(\.partner_id) == [acme.id])
            let badFlag: Refusal = try await call(client, .get, "/admin/give-get?owed=maybe", expect: .badRequest)
            #expect(badFlag.reason == "owed must be true or false")

            // Over 24 months the 2024 give-back counts: Old Friend got one and sent none.
            let _: ProgramSettings = try await call(client, .put, "/admin/settings", #"{"give_get_window_months":24,"give_get_ratio":3}"#)
            balances = try await call(client, .get, "/admin/give-get?quiet_days=365")
            quietBalance = try #require(balances.first { $0.partner_id == quiet.id })
            #expect(quietBalance.mrr_given.map(\.minorUnits) == [30_000])
            #expect(Set(quietBalance.flags) == ["unreturned", "quiet"])
            let stillOwed: [Balance] = try await call(client, .get, "/admin/give-get?owed=true")
            #expect(stillOwed.map(\.partner_id) == [acme.id])
            let refusal: Refusal = try await call(client, .put, "/admin/settings", #"{"give_get_ratio":0}"#, expect: .badRequest)
            #expect(refusal.reason.contains("give_get_ratio"))
        }
    }
}
