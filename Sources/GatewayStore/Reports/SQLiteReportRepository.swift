import Foundation
import GRDB
import GatewayCore
import GatewayRepositories

/// The reads behind statements, exports and the client roster, in the SQLite file.
struct SQLiteReportRepository: ReportRepository {
    let writer: any DatabaseWriter

    // MARK: Partner statements

    /// A partner's statement: the lines earned in `period` (by the `(partner_id, earned_at)`
    /// index) and the partner's balance on `now`, summed in SQL per the facts that decide a status.
    func statement(of partner: Partner, period: ReportPeriod, at now: Date) async throws -> PartnerStatement {
        let id = partner.id
        return try await writer.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT accrual.*, contract.id AS contract_id, referral.prospect_name, payout.paid_at AS payout_paid_at
                    FROM accrual
                    JOIN referral ON referral.id = accrual.referral_id
                    LEFT JOIN contract ON contract.referral_id = accrual.referral_id
                    LEFT JOIN payout ON payout.id = accrual.payout_id
                    WHERE accrual.partner_id = ? AND accrual.earned_at >= ? AND accrual.earned_at < ?
                    ORDER BY accrual.earned_at, accrual.id
                    """,
                arguments: [id.rawValue, period.start, period.end])
            let lines = try rows.map { row in
                let accrual = try Accrual(row: row)
                return PartnerStatement.Line(
                    accrual: accrual, status: accrual.status(at: now), client: row["prospect_name"],
                    paidAt: accrual.state == .paid ? row["payout_paid_at"] : nil)
            }
            return PartnerStatement(partner: partner, period: period, generatedAt: now, lines: lines, balance: try Self.balance(of: id, at: now, db))
        }
    }

    /// Every partner's balance on `now`: their lines summed per currency and status.
    func partnerBalances(at now: Date) async throws -> [PartnerID: [StatusTotals]] {
        try await writer.read { db in try Self.balances(of: nil, at: now, db) }
    }

    /// A partner's lines summed per currency and status on `now`, whenever they were earned.
    static func balance(of partner: PartnerID, at now: Date, _ db: Database) throws -> [StatusTotals] {
        try balances(of: partner, at: now, db)[partner] ?? []
    }

    /// Lines summed per partner, currency and status on `now`, from the totals the triggers keep
    /// (paid, voided, in a payout, open) and the few open lines whose status depends on the date:
    /// those still held, and those awaiting approval.
    static func balances(of partner: PartnerID?, at now: Date, _ db: Database) throws -> [PartnerID: [StatusTotals]] {
        let only = partner == nil ? "" : "AND partner_id = ?"
        let partnerArgument = partner.map { [$0.rawValue] } ?? []
        var totals: [PartnerID: [String: StatusTotals]] = [:]
        func add(_ row: Row, _ status: Accrual.Status, sign: Int64 = 1) throws {
            let partner = PartnerID(row["partner_id"])
            guard let currency = CurrencyCode(row["currency"]) else {
                throw DatabaseError(message: "an accrual of partner \(partner) has an unreadable currency")
            }
            totals[partner, default: [:]][currency.code, default: StatusTotals(currency: currency)]
                .add(sign * row["total_minor"], status, lines: Int(sign) * row["lines"])
        }
        let buckets: [String: Accrual.Status] = ["paid": .paid, "voided": .voided, "in_payout": .inPayout, "open": .payable]
        for row in try Row.fetchAll(
            db, sql: "SELECT * FROM accrual_total WHERE lines != 0 \(only)", arguments: StatementArguments(partnerArgument))
        {
            guard let status = buckets[row["bucket"]] else { throw DatabaseError(message: "unknown accrual total bucket \(row["bucket"] ?? "")") }
            try add(row, status)
        }
        // Open lines count as payable above; move the held and the unapproved ones out of it.
        let held = try Row.fetchAll(
            db,
            sql: """
                SELECT partner_id, currency, SUM(amount_minor) AS total_minor, COUNT(*) AS lines FROM accrual INDEXED BY accrual_open_by_hold
                WHERE state = 'open' AND payout_id IS NULL AND hold_until > ? AND amount_minor > 0 \(only) GROUP BY partner_id, currency
                """,
            arguments: StatementArguments([now] + partnerArgument))
        let unapproved = try Row.fetchAll(
            db,
            sql: """
                SELECT partner_id, currency, SUM(amount_minor) AS total_minor, COUNT(*) AS lines FROM accrual INDEXED BY accrual_unapproved
                WHERE state = 'open' AND payout_id IS NULL AND needs_approval AND approved_at IS NULL
                    AND NOT (amount_minor > 0 AND hold_until > ?) \(only) GROUP BY partner_id, currency
                """,
            arguments: StatementArguments([now] + partnerArgument))
        for (rows, status) in [(held, Accrual.Status.pending), (unapproved, .awaitingApproval)] {
            for row in rows {
                try add(row, status)
                try add(row, .payable, sign: -1)
            }
        }
        return totals.mapValues { $0.values.sorted { $0.currency.code < $1.currency.code } }
    }

    // MARK: Payout export

    func referredClients(inPayout id: Int64) async throws -> [ReferralID: PayoutExport.ReferredClient] {
        try await writer.read { db in
            var clients: [ReferralID: PayoutExport.ReferredClient] = [:]
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT referral.id, referral.prospect_name, contract.customer FROM referral
                    LEFT JOIN contract ON contract.referral_id = referral.id
                    WHERE referral.id IN (SELECT referral_id FROM accrual WHERE payout_id = ?)
                    """,
                arguments: [id])
            for row in rows {
                clients[ReferralID(row["id"])] = PayoutExport.ReferredClient(
                    name: row["prospect_name"], customer: try (row["customer"] as String?).map { try ColumnJSON.value(CustomerReference.self, from: $0) })
            }
            return clients
        }
    }

    // MARK: Clients and metrics

    /// Every client company, from the stored agreements, signings, payments and cancellations of
    /// processed deliveries, with the companies the ledger's contracts say were referred.
    func clientRoster() async throws -> ClientRoster {
        try await writer.read { db in try Self.clientRoster(db) }
    }

    /// Reads every client event in time order, decoding only the first event of each vendor
    /// customer and every non-payment event; a further payment only adds its date.
    static func clientRoster(_ db: Database) throws -> ClientRoster {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT e.delivery_id, e.position, e.kind, e.customer_key, e.occurred_at FROM business_event e
                JOIN delivery d ON d.id = e.delivery_id AND d.status = 'processed'
                WHERE e.kind IN ('invoice_paid', 'agreement_created', 'agreement_changed', 'agreement_cancelled', 'client_signed')
                ORDER BY e.occurred_at, e.delivery_id, e.position
                """)
        let payload = try db.cachedStatement(sql: "SELECT payload FROM business_event WHERE delivery_id = ? AND position = ?")
        var described: Set<String> = []
        var entries: [ClientRoster.Entry] = []
        for row in rows {
            let customerKey: String? = row["customer_key"]
            if row["kind"] == BusinessEvent.Kind.invoicePaid.rawValue, let customerKey, described.contains(customerKey),
                let paidAt: Date = row["occurred_at"]
            {
                entries.append(.payment(vendorKey: customerKey, paidAt: paidAt))
                continue
            }
            guard let text = try String.fetchOne(payload, arguments: [row["delivery_id"], row["position"]]) else { continue }
            entries.append(.event(try ColumnJSON.value(BusinessEvent.self, from: text)))
            if let customerKey { described.insert(customerKey) }
        }
        let contracts = try Row.fetchAll(db, sql: "SELECT * FROM contract").map(Contract.init(row:))
        return ClientRoster(entries: entries, contracts: contracts, cash: try cashMovements(db))
    }

    /// Every payment, credit and void of processed deliveries, with its amount read from the
    /// stored event in SQL (`amount_paid` of a payment, `amount` of a credit) rather than by
    /// decoding each event.
    static func cashMovements(_ db: Database) throws -> [CashMovement] {
        let kinds: [String: CashMovement.Kind] = [
            BusinessEvent.Kind.invoicePaid.rawValue: .payment, BusinessEvent.Kind.creditIssued.rawValue: .credit,
            BusinessEvent.Kind.invoiceVoided.rawValue: .void,
        ]
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT e.kind, e.customer_key, e.business_key, e.occurred_at,
                    json_extract(e.payload, CASE e.kind WHEN 'invoice_paid' THEN '$.amount_paid.minor_units' ELSE '$.amount.minor_units' END) AS minor,
                    json_extract(e.payload, CASE e.kind WHEN 'invoice_paid' THEN '$.amount_paid.currency' ELSE '$.amount.currency' END) AS currency,
                    json_extract(e.payload, '$.invoice_id') AS invoice_id, json_extract(e.payload, '$.payment_id') AS payment_id
                FROM business_event e
                JOIN delivery d ON d.id = e.delivery_id AND d.status = 'processed'
                WHERE e.kind IN ('invoice_paid', 'credit_issued', 'invoice_voided') AND e.customer_key IS NOT NULL
                """)
        return rows.compactMap { row in
            guard let kind = kinds[row["kind"]], let vendorKey: String = row["customer_key"], let at: Date = row["occurred_at"] else { return nil }
            let currency = (row["currency"] as String?).flatMap(CurrencyCode.init)
            let amount = (row["minor"] as Int64?).flatMap { minor in currency.map { Money(minorUnits: minor, currency: $0) } }
            return CashMovement(
                kind: kind, vendorKey: vendorKey, businessKey: row["business_key"], at: at, amount: amount, invoiceID: row["invoice_id"],
                paymentID: row["payment_id"])
        }
    }
}
