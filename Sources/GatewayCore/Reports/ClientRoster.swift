public import Foundation

/// One client company as the stored events describe it, whichever systems named it.
public struct ClientRecord: Hashable, Sendable, Encodable {
    /// `domain:brightdental.example` when a company domain is known, else `vendor:<source>:<id>`,
    /// so a company billed in Stripe and managed in Autotask is one client.
    public var key: String
    public var name: String?
    /// The first agreement, signing or payment: when the company became a client.
    public var startedAt: Date
    /// The first agreement's amount per month, else the first payment's recurring lines.
    public var monthlyValue: Money?
    /// When its last running agreement was cancelled, if every agreement it had was.
    public var endedAt: Date?
    public var lastPaidAt: Date?
    /// The referral (and its partner) the company's contract is attributed to, if any.
    public var referralID: ReferralID?
    public var partnerID: PartnerID?
    /// When its first agreement started, if it has one.
    public var agreementSince: Date?
    /// Every payment date, oldest first.
    public var payments: [Date]
    /// Each agreement's start and amount per month, oldest first: the second and later ones are
    /// renewals or expansions.
    public var agreementStarts: [AgreementStart] = []
    /// Money collected (positive) and given back (negative), oldest first.
    public var collected: [Collected] = []

    /// An agreement starting, with its amount per month when the PSA gives one.
    public struct AgreementStart: Hashable, Sendable {
        public var on: Date
        public var monthlyValue: Money?
    }

    /// Cash in (a payment) or out (a credit, a voided payment) on a day.
    public struct Collected: Hashable, Sendable {
        public var on: Date
        public var amount: Money
    }

    /// Whether the company was a client on `date`: started and not ended, and either under an
    /// agreement or paying (a payment within `lapseDays` before that date).
    public func isActive(on date: Date, lapseDays: Int = ClientRoster.lapseDays) -> Bool {
        guard startedAt <= date else { return false }
        if let endedAt, endedAt <= date { return false }
        if let agreementSince, agreementSince <= date { return true }
        return paid(after: date.addingTimeInterval(-Double(lapseDays) * 86_400), through: date)
    }

    /// Whether a payment falls in `(start, end]`.
    public func paid(after start: Date, through end: Date) -> Bool {
        payments.contains { $0 > start && $0 <= end }
    }

    enum CodingKeys: String, CodingKey {
        case key, name
        case startedAt = "started_at"
        case monthlyValue = "monthly_value"
        case endedAt = "ended_at"
        case lastPaidAt = "last_paid_at"
        case agreementSince = "agreement_since"
        case referralID = "referral_id"
        case partnerID = "partner_id"
    }
}

/// Every client company the MSP has, derived from the stored events and the ledger's contracts:
/// what program metrics count new MRR, retention and client reviews against.
public struct ClientRoster: Sendable {
    /// A client without an agreement that has not paid for this long has lapsed.
    public static let lapseDays = 90

    public var clients: [ClientRecord]
    /// Where each client sits in `clients`, by key.
    private var positions: [String: Int] = [:]
    /// The company each vendor customer (`vendor:stripe:cus_1`) belongs to.
    private var companyOfVendorCustomer: [String: String] = [:]

    /// One stored event as the roster reads it: the event itself, or only the date of a further
    /// payment by a customer an earlier entry already described (which saves decoding it).
    public enum Entry: Sendable {
        case event(BusinessEvent)
        /// A payment by the vendor customer `vendorKey` (`vendor:stripe:cus_1`), on `paidAt`.
        case payment(vendorKey: String, paidAt: Date)
    }

    /// - Parameters:
    ///   - events: the stored business events, in any order.
    ///   - contracts: the ledger's contracts, which say which companies were referred.
    ///   - cash: the stored payments, credits and voids, for revenue collected.
    public init(events: [BusinessEvent], contracts: [Contract], cash: [CashMovement] = []) {
        self.init(entries: events.map(Entry.event), contracts: contracts, cash: cash)
    }

    /// - Parameters:
    ///   - entries: the stored events; a `.payment` must come after an `.event` of its customer.
    ///   - contracts: the ledger's contracts, which say which companies were referred.
    ///   - cash: the stored payments, credits and voids, in any order.
    public init(entries: [Entry], contracts: [Contract], cash: [CashMovement] = []) {
        var records: [String: ClientRecord] = [:]
        var companyOf: [String: String] = [:]
        var agreementOwner: [String: String] = [:]
        var runningAgreements: [String: Set<String>] = [:]
        var cancellations: [String: Date] = [:]
        var payments: [(String, Date)] = []
        let events = entries.compactMap { entry -> BusinessEvent? in
            switch entry {
            case .event(let event): return event
            case .payment(let vendorKey, let paidAt):
                payments.append((vendorKey, paidAt))
                return nil
            }
        }
        let ordered = events.sorted { ($0.occurredAt ?? .distantPast) < ($1.occurredAt ?? .distantPast) }
        for event in ordered {
            guard let date = event.occurredAt else { continue }
            if case .agreementCancelled(let cancelled) = event {
                let agreement = "\(cancelled.source):\(cancelled.agreementID)"
                guard let owner = cancelled.customer.map(Self.key(for:)) ?? agreementOwner[agreement] else { continue }
                runningAgreements[owner, default: []].remove(agreement)
                cancellations[owner] = date
                continue
            }
            guard event.startsContract, let customer = event.customer else { continue }
            let key = Self.key(for: customer)
            companyOf[ReferralMatchKey.vendor(source: customer.source, id: customer.id).storageKey] = key
            var record =
                records[key]
                ?? ClientRecord(key: key, name: nil, startedAt: date, monthlyValue: nil, endedAt: nil, lastPaidAt: nil, payments: [])
            record.name = record.name ?? customer.name
            switch event {
            case .agreementCreated(let agreement):
                let id = "\(agreement.customer.source):\(agreement.agreementID)"
                agreementOwner[id] = key
                runningAgreements[key, default: []].insert(id)
                // The first agreement's amount is the contract's value, over a payment's.
                if record.agreementSince == nil, let monthly = agreement.monthlyAmount { record.monthlyValue = monthly }
                record.agreementSince = record.agreementSince ?? date
                record.agreementStarts.append(.init(on: date, monthlyValue: agreement.monthlyAmount))
            case .invoicePaid(let paid):
                record.payments.append(paid.paidAt)
                if record.monthlyValue == nil { record.monthlyValue = paid.recurringAmount(excludingOneTimeLines: true) }
            default: break
            }
            records[key] = record
        }
        for (vendorKey, paidAt) in payments {
            guard let key = companyOf[vendorKey] else { continue }
            records[key]?.payments.append(paidAt)
        }
        records = records.mapValues { record in
            var record = record
            record.payments.sort()
            record.lastPaidAt = record.payments.last
            return record
        }
        for (key, cancelledAt) in cancellations where runningAgreements[key, default: []].isEmpty {
            records[key]?.endedAt = cancelledAt
        }
        for contract in contracts {
            let key = Self.key(for: contract.customer)
            records[key]?.referralID = contract.referralID
            records[key]?.partnerID = contract.partnerID
            if records[key]?.monthlyValue == nil { records[key]?.monthlyValue = contract.monthlyValue }
        }
        for (key, collected) in Self.collected(cash, companyOf: companyOf) { records[key]?.collected = collected }
        clients = records.values.sorted { ($0.startedAt, $0.key) < ($1.startedAt, $1.key) }
        positions = Dictionary(uniqueKeysWithValues: clients.enumerated().map { ($1.key, $0) })
        companyOfVendorCustomer = companyOf
    }

    /// Each company's cash, oldest first: every business effect once (Stripe reports one payment
    /// as two events), a credit as money out, and a void as the payments on its invoice taken back.
    private static func collected(_ cash: [CashMovement], companyOf: [String: String]) -> [String: [ClientRecord.Collected]] {
        var seen: Set<String> = []
        var paymentsByInvoice: [String: [Money]] = [:]
        var collected: [String: [ClientRecord.Collected]] = [:]
        for movement in cash.sorted(by: { ($0.at, $0.businessKey) < ($1.at, $1.businessKey) }) {
            guard let company = companyOf[movement.vendorKey], seen.insert(movement.businessKey).inserted else { continue }
            switch movement.kind {
            case .payment:
                guard let amount = movement.amount else { continue }
                paymentsByInvoice[movement.invoiceKey, default: []].append(amount)
                collected[company, default: []].append(.init(on: movement.at, amount: amount))
            case .credit:
                guard let amount = movement.amount else { continue }
                collected[company, default: []].append(.init(on: movement.at, amount: Money(minorUnits: -amount.minorUnits, currency: amount.currency)))
            case .void:
                // A void of the invoice takes back every payment on it; a void of one payment, that one.
                let invoice = movement.invoiceKey
                for key in paymentsByInvoice.keys where key == invoice || key.hasPrefix(invoice + ":payment:") {
                    for amount in paymentsByInvoice.removeValue(forKey: key) ?? [] {
                        collected[company, default: []].append(.init(on: movement.at, amount: Money(minorUnits: -amount.minorUnits, currency: amount.currency)))
                    }
                }
            }
        }
        return collected
    }

    /// The client with roster key `key`.
    public func client(_ key: String) -> ClientRecord? {
        positions[key].map { clients[$0] }
    }

    /// The client a referral match key names: a company domain, or a vendor customer.
    public func client(matching matchKey: String) -> ClientRecord? {
        client(companyOfVendorCustomer[matchKey] ?? matchKey)
    }

    /// The company a vendor's customer is: its own domain when it has one, else the vendor id.
    public static func key(for customer: CustomerReference) -> String {
        if let domain = customer.emailDomain, !FreeMailDomains.contains(domain) { return ReferralMatchKey.domain(domain).storageKey }
        return ReferralMatchKey.vendor(source: customer.source, id: customer.id).storageKey
    }

    /// Clients active on `date`.
    public func active(on date: Date) -> [ClientRecord] {
        clients.filter { $0.isActive(on: date) }
    }
}
