import Foundation
import GatewayCore
import GatewayEngine
@testable import GatewayPostgres
import GatewayRepositories
import GatewayTestSupport
import PostgresNIO
import Testing

/// Statements, balances, payout exports and the client roster read from PostgreSQL. The ledger's
/// rows are written here in SQL, so every status, hold and payout is set exactly as the test says.
@Suite(PostgresTestDatabase.enabled) struct PostgresReportTests {
    static let now = Events.date("2025-02-01T00:00:00Z")
    static let partner = Partner(id: PartnerID(1), name: "Acme CPA", kind: .centerOfInfluence, payoutForm: .cash, createdAt: Events.date("2024-12-01"))
    static let customer = CustomerReference(source: "stripe", id: "cus_bd")

    /// Two partners, one referral each, a contract for the first, a paid payout, and lines in every status.
    func seedLedger(_ database: PostgresGatewayDatabase) async throws {
        let at = Events.date("2024-12-01")
        try await database.execute(
            "INSERT INTO partner (id, name, kind, payout_form, created_at) VALUES (1, 'Acme CPA', 'center_of_influence', 'cash', \(at)), (2, 'Peer', 'peer_msp', 'cash', \(at))")
        try await database.execute("INSERT INTO plan (id, name) VALUES (1, 'standard')")
        try await database.execute(
            """
            INSERT INTO referral (id, partner_id, plan_id, prospect_name, domains, contact_emails, vendor_ids, introduced_at, status)
            VALUES (1, 1, 1, 'Bright Dental', '[]', '[]', '{}', \(at), 'signed'), (2, 2, 1, 'Globex', '[]', '[]', '{}', \(at), 'signed')
            """)
        try await database.execute(
            """
            INSERT INTO contract (id, referral_id, partner_id, plan_id, customer, started_at, created_by_delivery)
            VALUES (7, 1, 1, 1, \(try ColumnJSON.text(Self.customer)), \(at), 1)
            """)
        try await database.execute("INSERT INTO payout (id, created_at, paid_at) VALUES (1, \(at), \(Events.date("2025-01-31")))")
        let lines: [(String, Int64, Int, String, String, String, Bool, Int64?, String)] = [
            // key, partner, amount, currency, earned, hold until, needs approval, payout, state
            ("payable", 1, 1000, "USD", "2025-01-10", "2025-01-20", false, nil, "open"),
            ("held", 1, 500, "USD", "2025-01-20", "2025-03-01", false, nil, "open"),
            ("unapproved", 1, 300, "USD", "2025-01-25", "2025-01-26", true, nil, "open"),
            ("paid", 1, 700, "USD", "2025-01-05", "2025-01-06", false, 1, "paid"),
            ("voided", 1, 200, "USD", "2025-01-15", "2025-03-01", false, nil, "voided"),
            ("refund", 1, -100, "USD", "2025-01-28", "2025-03-01", false, nil, "open"),
            ("february", 1, 50, "USD", "2025-02-05", "2025-02-06", false, nil, "open"),
            ("other partner", 2, 400, "EUR", "2025-01-12", "2025-01-13", false, nil, "open"),
        ]
        for (key, partner, amount, currency, earned, hold, approval, payout, state) in lines {
            try await database.execute(
                """
                INSERT INTO accrual (accrual_key, partner_id, referral_id, beneficiary, business_key, rule, plan_id, plan_version, basis_minor,
                    rate_bps, amount_minor, currency, earned_at, hold_until, note, needs_approval, state, payout_id, updated_at)
                VALUES (\(key), \(partner), \(partner), 'partner', \("invoice:" + key), 'percent', 1, 1, \(Int64(amount) * 10), 1000, \(amount),
                    \(currency), \(Events.date(earned)), \(Events.date(hold)), '', \(approval), \(state), \(payout), \(at))
                """)
        }
    }

    @Test func aStatementHoldsThePeriodsLinesAndTheBalanceOnTheDay() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            try await seedLedger(database)
            let reports = PostgresReportRepository(database: database)
            let january = ReportPeriod(start: Events.date("2025-01-01"), end: Events.date("2025-02-01"))
            let statement = try await reports.statement(of: Self.partner, period: january, at: Self.now)

            #expect(statement.lines.map(\.accrual.line.key) == ["paid", "payable", "voided", "held", "unapproved", "refund"], "in earning order")
            #expect(statement.lines.map(\.status) == [.paid, .payable, .voided, .pending, .awaitingApproval, .payable])
            #expect(statement.lines.allSatisfy { $0.client == "Bright Dental" && $0.accrual.contractID == ContractID(7) })
            #expect(statement.lines.first?.paidAt == Events.date("2025-01-31"))
            #expect(statement.lines.dropFirst().allSatisfy { $0.paidAt == nil })
            let payable = try #require(statement.lines.first { $0.accrual.line.key == "payable" }?.accrual)
            #expect(payable.line.basis == Money(minorUnits: 10_000, currency: Events.usd))
            #expect(payable.line.rate == BasisPoints(1000))
            #expect(payable.line.holdUntil == Events.date("2025-01-20"))

            // The balance counts every line whenever earned (February's too), each in its status on the day.
            let usd = StatusTotals(
                currency: Events.usd, lines: 7, minorUnits: [.payable: 900, .pending: 550, .awaitingApproval: 300, .paid: 700, .voided: 200])
            #expect(statement.balance == [usd])
            let balances = try await reports.partnerBalances(at: Self.now)
            #expect(balances[PartnerID(1)] == [usd])
            #expect(balances[PartnerID(2)] == [StatusTotals(currency: CurrencyCode("EUR")!, lines: 1, minorUnits: [.payable: 400])])
            // Once the hold has passed, the held line is payable.
            #expect(try await reports.partnerBalances(at: Events.date("2025-03-02"))[PartnerID(1)]?.first?.minorUnits[.payable] == 1450)
        }
    }

    @Test func aPayoutExportNamesTheReferredClientsOfItsLines() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            try await seedLedger(database)
            let reports = PostgresReportRepository(database: database)
            #expect(try await reports.referredClients(inPayout: 1) == [ReferralID(1): PayoutExport.ReferredClient(name: "Bright Dental", customer: Self.customer)])
            #expect(try await reports.referredClients(inPayout: 2).isEmpty)
        }
    }

    @Test func theClientRosterIsReadFromProcessedDeliveriesAndContracts() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            try await seedLedger(database)
            let inbox = PostgresDeliveryInbox(database: database)
            let processed: [BusinessEvent] = [
                Events.agreement("A1", customer: "250", name: "Bright Dental", monthly: 900, on: "2025-01-02"),
                Events.paid("in_1", dollars: 100, on: "2025-01-05"),
                Events.paid("in_2", dollars: 120, on: "2025-02-05"),
                Events.credit("cn_1", invoice: "in_1", dollars: 20, on: "2025-01-07"),
                Events.void("in_3", on: "2025-01-09"),
                Events.cancelled("A1", on: "2025-03-01"),
            ]
            var results: [(DeliveryID, ProcessingResult)] = []
            for (index, event) in processed.enumerated() {
                let id = try await inbox.ingest(delivery("evt_\(index)")).deliveryID
                results.append((id, .mapped([event], adapterVersion: 1)))
            }
            // A delivery settled as failed keeps no events: it is not in the roster.
            let failed = try await inbox.ingest(delivery("evt_failed")).deliveryID
            results.append((failed, .failed(reason: "malformed_body", adapterVersion: 1)))
            try await inbox.settle(results, rules: LedgerService(), at: Self.now)

            let roster = try await PostgresReportRepository(database: database).clientRoster()
            let contract = Contract(
                id: ContractID(7), referralID: ReferralID(1), partnerID: PartnerID(1), planID: PlanID(1), customer: Self.customer,
                startedAt: Events.date("2024-12-01"), createdByDelivery: DeliveryID(1))
            let cash = [
                CashMovement(kind: .payment, vendorKey: "vendor:stripe:cus_bd", businessKey: processed[1].businessKey, at: Events.date("2025-01-05"),
                    amount: Events.usd(100), invoiceID: "in_1"),
                CashMovement(kind: .payment, vendorKey: "vendor:stripe:cus_bd", businessKey: processed[2].businessKey, at: Events.date("2025-02-05"),
                    amount: Events.usd(120), invoiceID: "in_2"),
                CashMovement(kind: .credit, vendorKey: "vendor:stripe:cus_bd", businessKey: processed[3].businessKey, at: Events.date("2025-01-07"),
                    amount: Events.usd(20), invoiceID: "in_1"),
                CashMovement(kind: .void, vendorKey: "vendor:stripe:cus_bd", businessKey: processed[4].businessKey, at: Events.date("2025-01-09"),
                    amount: nil, invoiceID: "in_3"),
            ]
            let expected = ClientRoster(events: processed, contracts: [contract], cash: cash)
            #expect(!roster.clients.isEmpty)
            #expect(roster.clients == expected.clients)
        }
    }

    func delivery(_ id: String) -> IncomingDelivery {
        IncomingDelivery(
            source: "stripe", vendorDeliveryID: id, eventType: "invoice.paid", receivedAt: Self.now, requestID: nil, body: Data("{}".utf8),
            headers: [:], verification: Verification(scheme: "stripe", matchedSecretIndex: 0))
    }
}
