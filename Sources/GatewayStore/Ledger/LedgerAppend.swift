import Foundation
import GRDB
import GatewayCore
import GatewayRepositories

/// The narrow projection for customers a batch can only append to.
///
/// A batch that touches a referred customer re-projects that customer, and a customer's history
/// grows with every invoice: projecting all of it for each batch made processing cost follow the
/// stored history. Most batches only bring a settled client's later invoices, and under a plan
/// whose payments settle alone (`LedgerRules.settlesPaymentsAlone`: no tier, cap or first-referral
/// bonus) such an invoice's lines depend on nothing but its own payments, credits and voids and
/// its referral's contract. For such a customer the projection is given:
///
/// - every event up to the start of the latest contract of any referral claiming it, and up to
///   its first payment: what decided its claims, its contracts and their monthly value;
/// - every event that is not about one invoice (agreements, signings), and every event of its
///   agreements: what can end or price a contract;
/// - the batch's own events;
/// - every event of the invoices of all of the above (a payment is never projected without the
///   credits and voids that reduce it).
///
/// The stored lines it is compared with are narrowed the same way (those of these events, and
/// the referral-level ones), so lines of the customer's other invoices are left as they are.
///
/// A customer appends when: no plan of any referral of the partners claiming it ties or caps (a
/// partner's yearly cap and tiers count every line and contract of the partner); a referral
/// claiming it has a contract; the batch gave it no new claim; and each of its batch events is a
/// payment, credit or void dated after the latest such contract's start. A referral is narrowed only when
/// every customer it claims appends (otherwise all of them are projected in full), and a batch
/// holding an event that names no customer (a cancellation naming only its agreement) appends
/// nothing. The property test (`IncrementalLedgerPropertyTests`) holds the result to a rebuild.
enum LedgerAppend {
    private static let invoiceKinds: Set<BusinessEvent.Kind> = [.invoicePaid, .creditIssued, .invoiceVoided]

    /// Splits the partition (`scope_customer`) into `append_customer` (with the latest contract
    /// start of its claimants and its first payment) and `scope_full`, and lists in
    /// `append_referral` the referrals whose customers all append.
    static func choose(_ batch: [BusinessEvent], newlyClaimed: Set<String>, rules: any LedgerRules, _ db: Database) throws {
        try db.execute(sql: """
            CREATE TEMP TABLE IF NOT EXISTS scope_full (customer_key TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TEMP TABLE IF NOT EXISTS append_customer (customer_key TEXT PRIMARY KEY, since TEXT NOT NULL, first_paid TEXT) WITHOUT ROWID;
            CREATE TEMP TABLE IF NOT EXISTS append_referral (referral_id INTEGER PRIMARY KEY);
            CREATE TEMP TABLE IF NOT EXISTS append_batch_key (key TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TEMP TABLE IF NOT EXISTS append_key (business_key TEXT PRIMARY KEY) WITHOUT ROWID;
            DELETE FROM scope_full;
            DELETE FROM append_customer;
            DELETE FROM append_referral;
            DELETE FROM append_batch_key;
            DELETE FROM append_key;
            """)
        if !batch.contains(where: { $0.customerKey == nil }) {
            try chooseAppending(batch, newlyClaimed: newlyClaimed, rules: rules, db)
        }
        try db.execute(sql: """
            INSERT INTO scope_full (customer_key)
                SELECT customer_key FROM scope_customer WHERE customer_key NOT IN (SELECT customer_key FROM append_customer);
            INSERT INTO append_referral (referral_id)
                SELECT DISTINCT referral_id FROM customer_claim WHERE customer_key IN (SELECT customer_key FROM append_customer);
            """)
    }

    private static func chooseAppending(_ batch: [BusinessEvent], newlyClaimed: Set<String>, rules: any LedgerRules, _ db: Database) throws {
        let blocking = try Row.fetchAll(db, sql: "SELECT * FROM plan_version").map(PlanVersion.init(row:))
            .filter { !rules.settlesPaymentsAlone($0) }.map { String($0.planID.rawValue) }
        let batchByCustomer = Dictionary(grouping: batch, by: { $0.customerKey ?? "" })
        let candidates = try Row.fetchAll(
            db,
            sql: """
                SELECT s.customer_key,
                    (SELECT MAX(c.started_at) FROM customer_claim cc JOIN contract c ON c.referral_id = cc.referral_id
                        WHERE cc.customer_key = s.customer_key) AS since,
                    EXISTS (SELECT 1 FROM customer_claim cc JOIN referral r ON r.id = cc.referral_id
                        WHERE cc.customer_key = s.customer_key AND r.partner_id IN (
                            SELECT partner_id FROM referral WHERE plan_id IN (\(blocking.isEmpty ? "NULL" : blocking.joined(separator: ", "))))) AS blocked
                FROM scope_customer s
                """)
        let append = try db.cachedStatement(sql: "INSERT INTO append_customer (customer_key, since) VALUES (?, ?)")
        for row in candidates {
            let customer: String = row["customer_key"]
            guard let since = row["since"] as Date?, !(row["blocked"] as Bool), !newlyClaimed.contains(customer) else { continue }
            let later = (batchByCustomer[customer] ?? []).allSatisfy { event in
                invoiceKinds.contains(event.kind) && (event.occurredAt.map { $0 > since } ?? false)
            }
            if later { try append.execute(arguments: [customer, since]) }
        }
        // A customer appends only if every customer its referrals claim does, until nothing changes.
        repeat {
            try db.execute(sql: """
                DELETE FROM append_customer WHERE customer_key IN (
                    SELECT mine.customer_key FROM customer_claim mine
                    JOIN customer_claim other ON other.referral_id = mine.referral_id
                    WHERE other.customer_key NOT IN (SELECT customer_key FROM append_customer))
                """)
        } while db.changesCount > 0
        // Over every stored payment, settled or not: an earlier date only widens what is projected.
        try db.execute(sql: """
            UPDATE append_customer SET first_paid = (
                SELECT MIN(occurred_at) FROM business_event WHERE customer_key = append_customer.customer_key AND kind = 'invoice_paid')
            """)
        let batchKey = try db.cachedStatement(sql: "INSERT OR IGNORE INTO append_batch_key (key) VALUES (?)")
        for event in batch { try batchKey.execute(arguments: [event.businessKey]) }
    }

    /// The events the narrow projection needs for the customers in `append_customer` (see the
    /// type's comment), and their business keys left in `append_key`.
    static func events(_ db: Database) throws -> [RecordedEvent] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                WITH agreements AS (\(LedgerSQL.agreementKeys(of: "append_customer"))),
                relevant AS (
                    SELECT e.delivery_id, e.position FROM append_customer a JOIN business_event e ON e.customer_key = a.customer_key
                    WHERE e.occurred_at IS NULL OR e.occurred_at <= a.since OR e.occurred_at <= a.first_paid
                        OR e.kind NOT IN ('invoice_paid', 'credit_issued', 'invoice_voided')
                    UNION
                    SELECT e.delivery_id, e.position FROM business_event e
                    WHERE e.business_key IN (SELECT key FROM append_batch_key) AND e.customer_key IN (SELECT customer_key FROM append_customer)
                    UNION
                    SELECT delivery_id, position FROM business_event_key WHERE key IN (SELECT key FROM agreements)
                ),
                -- A payment projected is projected with every credit and void of its invoice.
                invoices AS (
                    SELECT DISTINCT k.key FROM relevant r
                    JOIN business_event_key k ON k.delivery_id = r.delivery_id AND k.position = r.position
                    WHERE k.key LIKE 'invoice:%'
                ),
                closed AS (
                    SELECT delivery_id, position FROM relevant
                    UNION
                    SELECT e.delivery_id, e.position FROM business_event_key k
                    JOIN business_event e ON e.delivery_id = k.delivery_id AND e.position = k.position
                    WHERE k.key IN (SELECT key FROM invoices) AND e.customer_key IN (SELECT customer_key FROM append_customer)
                )
                SELECT e.delivery_id, e.payload, e.business_key FROM closed r
                JOIN business_event e ON e.delivery_id = r.delivery_id AND e.position = r.position
                JOIN delivery d ON d.id = e.delivery_id AND d.status = 'processed'
                """)
        let fed = try db.cachedStatement(sql: "INSERT OR IGNORE INTO append_key (business_key) VALUES (?)")
        for row in rows { try fed.execute(arguments: [row["business_key"] as String]) }
        return try rows.map { RecordedEvent(try DecodedEvents.shared.event($0["payload"]), delivery: DeliveryID($0["delivery_id"])) }
    }
}
