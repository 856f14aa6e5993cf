public import Foundation
public import GatewayCore
public import GatewayRepositories
import Logging
import PostgresNIO

/// The reads behind statements, payout exports and the client roster, in PostgreSQL. Each read is
/// one transaction (`REPEATABLE READ` where it takes several statements), so a statement's lines
/// and its balance come from one moment even while other instances write.
public struct PostgresReportRepository: ReportRepository {
    let database: PostgresGatewayDatabase
    private var logger: Logger { database.logger }

    /// The repository in `database`, which must be migrated.
    public init(database: PostgresGatewayDatabase) {
        self.database = database
    }

    // MARK: Partner statements

    /// A partner's statement: the lines earned in `period` (by the `(partner_id, earned_at)` index)
    /// and the partner's balance on `now`.
    public func statement(of partner: Partner, period: ReportPeriod, at now: Date) async throws -> PartnerStatement {
        let id = partner.id
        return try await database.snapshot { connection in
            let rows = try await connection.execute(
                """
                SELECT accrual.*, contract.id AS contract_id, referral.prospect_name, payout.paid_at AS payout_paid_at
                FROM accrual
                JOIN referral ON referral.id = accrual.referral_id
                LEFT JOIN contract ON contract.referral_id = accrual.referral_id
                LEFT JOIN payout ON payout.id = accrual.payout_id
                WHERE accrual.partner_id = \(id.rawValue) AND accrual.earned_at >= \(period.start) AND accrual.earned_at < \(period.end)
                ORDER BY accrual.earned_at, accrual.id
                """, logger: logger)
            let lines = try rows.map { row in
                let row = row.makeRandomAccess()
                let accrual = try Accrual(postgres: row)
                return PartnerStatement.Line(
                    accrual: accrual, status: accrual.status(at: now), client: try row["prospect_name"].decode(String.self),
                    paidAt: accrual.state == .paid ? try row["payout_paid_at"].decode(Date?.self) : nil)
            }
            let balance = try await balances(of: id, at: now, connection)[id] ?? []
            return PartnerStatement(partner: partner, period: period, generatedAt: now, lines: lines, balance: balance)
        }
    }

    /// Every partner's balance on `now`: their lines summed per currency and status.
    public func partnerBalances(at now: Date) async throws -> [PartnerID: [StatusTotals]] {
        try await database.snapshot { connection in try await balances(of: nil, at: now, connection) }
    }

    /// Lines summed per partner, currency and status on `now`, from the totals the trigger keeps
    /// (paid, voided, in a payout, open) and the few open lines whose status depends on the date:
    /// those still held (through `accrual_open_by_hold`) and those awaiting approval
    /// (`accrual_unapproved`).
    private func balances(of partner: PartnerID?, at now: Date, _ connection: PostgresConnection) async throws -> [PartnerID: [StatusTotals]] {
        let only = partner?.rawValue
        var totals: [PartnerID: [String: StatusTotals]] = [:]
        func add(_ row: PostgresRow, _ status: (String) throws -> Accrual.Status, sign: Int64 = 1) throws {
            let (partnerID, code, bucket, total, lines) = try row.decode((Int64, String, String, Int64, Int64).self)
            guard let currency = CurrencyCode(code) else {
                throw GatewayError.invalid("an accrual of partner \(partnerID) has an unreadable currency")
            }
            totals[PartnerID(partnerID), default: [:]][currency.code, default: StatusTotals(currency: currency)]
                .add(sign * total, try status(bucket), lines: Int(sign * lines))
        }
        let buckets: [String: Accrual.Status] = ["paid": .paid, "voided": .voided, "in_payout": .inPayout, "open": .payable]
        for row in try await connection.execute(
            """
            SELECT partner_id, currency, bucket, total_minor, lines FROM accrual_total
            WHERE lines <> 0 AND (\(only)::bigint IS NULL OR partner_id = \(only))
            """, logger: logger)
        {
            try add(row) { bucket in
                guard let status = buckets[bucket] else { throw GatewayError.invalid("unknown accrual total bucket \(bucket)") }
                return status
            }
        }
        // Open lines count as payable above; move the held and the unapproved ones out of it.
        let held = try await connection.execute(
            """
            SELECT partner_id, currency, 'held', SUM(amount_minor)::bigint, COUNT(*) FROM accrual
            WHERE state = 'open' AND payout_id IS NULL AND hold_until > \(now) AND amount_minor > 0
                AND (\(only)::bigint IS NULL OR partner_id = \(only))
            GROUP BY partner_id, currency
            """, logger: logger)
        let unapproved = try await connection.execute(
            """
            SELECT partner_id, currency, 'unapproved', SUM(amount_minor)::bigint, COUNT(*) FROM accrual
            WHERE state = 'open' AND payout_id IS NULL AND needs_approval AND approved_at IS NULL
                AND NOT (amount_minor > 0 AND hold_until > \(now)) AND (\(only)::bigint IS NULL OR partner_id = \(only))
            GROUP BY partner_id, currency
            """, logger: logger)
        for (rows, status) in [(held, Accrual.Status.pending), (unapproved, .awaitingApproval)] {
            for row in rows {
                try add(row) { _ in status }
                try add(row, { _ in .payable }, sign: -1)
            }
        }
        return totals.mapValues { $0.values.sorted { $0.currency.code < $1.currency.code } }
    }

    // MARK: Payout export

    public func referredClients(inPayout id: Int64) async throws -> [ReferralID: PayoutExport.ReferredClient] {
        var clients: [ReferralID: PayoutExport.ReferredClient] = [:]
        for row in try await database.rows(
            """
            SELECT referral.id, referral.prospect_name, contract.customer FROM referral
            LEFT JOIN contract ON contract.referral_id = referral.id
            WHERE referral.id IN (SELECT referral_id FROM accrual WHERE payout_id = \(id))
            """)
        {
            let (referral, name, customer) = try row.decode((Int64, String, String?).self)
            clients[ReferralID(referral)] = PayoutExport.ReferredClient(
                name: name, customer: try customer.map { try ColumnJSON.value(CustomerReference.self, from: $0) })
        }
        return clients
    }

    // MARK: Clients and metrics

    /// Every client company, from the stored agreements, signings, payments and cancellations of
    /// processed deliveries, with the companies the ledger's contracts say were referred. Only the
    /// first event of each vendor customer and every non-payment event is decoded; a further
    /// payment only adds its date.
    public func clientRoster() async throws -> ClientRoster {
        try await database.snapshot { connection in
            let rows = try await connection.execute(
                """
                SELECT e.kind, e.customer_key, e.occurred_at, e.payload FROM business_event e
                JOIN delivery d ON d.id = e.delivery_id AND d.status = 'processed'
                WHERE e.kind IN ('invoice_paid', 'agreement_created', 'agreement_changed', 'agreement_cancelled', 'client_signed')
                ORDER BY e.occurred_at, e.delivery_id, e.position
                """, logger: logger)
            var described: Set<String> = []
            var entries: [ClientRoster.Entry] = []
            for row in rows {
                let (kind, customerKey, occurredAt, payload) = try row.decode((String, String?, Date?, String).self)
                if kind == BusinessEvent.Kind.invoicePaid.rawValue, let customerKey, described.contains(customerKey), let occurredAt {
                    entries.append(.payment(vendorKey: customerKey, paidAt: occurredAt))
                    continue
                }
                entries.append(.event(try ColumnJSON.value(BusinessEvent.self, from: payload)))
                if let customerKey { described.insert(customerKey) }
            }
            let contracts = try await connection.execute("SELECT * FROM contract ORDER BY id", logger: logger).map {
                try Contract(postgres: $0.makeRandomAccess())
            }
            return ClientRoster(entries: entries, contracts: contracts, cash: try await cashMovements(connection))
        }
    }

    /// Every payment, credit and void of processed deliveries, its amount read from the stored
    /// event in SQL (`amount_paid` of a payment, `amount` of a credit) rather than by decoding it.
    private func cashMovements(_ connection: PostgresConnection) async throws -> [CashMovement] {
        let kinds: [String: CashMovement.Kind] = [
            BusinessEvent.Kind.invoicePaid.rawValue: .payment, BusinessEvent.Kind.creditIssued.rawValue: .credit,
            BusinessEvent.Kind.invoiceVoided.rawValue: .void,
        ]
        let rows = try await connection.execute(
            """
            SELECT e.kind, e.customer_key, e.business_key, e.occurred_at,
                (e.payload::jsonb -> (CASE e.kind WHEN 'invoice_paid' THEN 'amount_paid' ELSE 'amount' END) ->> 'minor_units')::bigint,
                e.payload::jsonb -> (CASE e.kind WHEN 'invoice_paid' THEN 'amount_paid' ELSE 'amount' END) ->> 'currency',
                e.payload::jsonb ->> 'invoice_id', e.payload::jsonb ->> 'payment_id'
            FROM business_event e
            JOIN delivery d ON d.id = e.delivery_id AND d.status = 'processed'
            WHERE e.kind IN ('invoice_paid', 'credit_issued', 'invoice_voided') AND e.customer_key IS NOT NULL
            ORDER BY e.delivery_id, e.position
            """, logger: logger)
        return try rows.compactMap { row in
            let (kind, vendorKey, businessKey, at, minor, code, invoiceID, paymentID) = try row.decode(
                (String, String, String, Date?, Int64?, String?, String?, String?).self)
            guard let kind = kinds[kind], let at else { return nil }
            let currency = code.flatMap(CurrencyCode.init)
            let amount = minor.flatMap { minor in currency.map { Money(minorUnits: minor, currency: $0) } }
            return CashMovement(kind: kind, vendorKey: vendorKey, businessKey: businessKey, at: at, amount: amount, invoiceID: invoiceID, paymentID: paymentID)
        }
    }
}
