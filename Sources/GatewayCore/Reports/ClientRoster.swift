public import Foundation

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
        /// Each agreement's company and its position in that company's `agreements`.
        var agreementAt: [String: (company: String, index: Int)] = [:]
        var payments: [(String, Date)] = []
        var changes: [BusinessEvent] = []
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
            // A deletion carries no date: when the agreement stopped is unknown, so it is not ended.
            guard let date = event.occurredAt else { continue }
            switch event {
            case .agreementCancelled(let cancelled):
                if let (company, index) = agreementAt["\(cancelled.source):\(cancelled.agreementID)"] {
                    records[company]?.agreements[index].end = date
                }
                continue
            case .agreementChanged:
                // Applied once every agreement is known: a change may be dated before its
                // agreement starts (a raise agreed before the start).
                changes.append(event)
                continue
            default:
                break
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
                // The same agreement delivered twice is one agreement.
                guard agreementAt[id] == nil else { continue }
                agreementAt[id] = (key, record.agreements.count)
                record.agreements.append(.init(id: id, start: date, end: nil, amounts: [(date, agreement.monthlyAmount)]))
                // The first agreement's amount is the contract's value, over a payment's.
                if record.agreementSince == nil, let monthly = agreement.monthlyAmount { record.monthlyValue = monthly }
                record.agreementSince = record.agreementSince ?? date
            case .invoicePaid(let paid):
                record.payments.append(paid.paidAt)
                if record.monthlyValue == nil { record.monthlyValue = paid.recurringAmount(excludingOneTimeLines: true) }
            default: break
            }
            records[key] = record
        }
        for case .agreementChanged(let change) in changes {
            guard let (company, index) = agreementAt["\(change.customer.source):\(change.agreementID)"],
                let start = records[company]?.agreements[index].start
            else { continue }
            records[company]?.agreements[index].amounts.append((max(start, change.effectiveAt), change.monthlyAmount))
            records[company]?.agreements[index].amounts.sort { $0.on < $1.on }
        }
        for (vendorKey, paidAt) in payments {
            guard let key = companyOf[vendorKey] else { continue }
            records[key]?.payments.append(paidAt)
        }
        records = records.mapValues { record in
            var record = record
            record.payments.sort()
            record.lastPaidAt = record.payments.last
            let ends = record.agreements.map(\.end)
            if !ends.isEmpty, !ends.contains(nil) { record.endedAt = ends.compactMap { $0 }.max() }
            return record
        }
        for contract in contracts {
            let key = Self.key(for: contract.customer)
            records[key]?.referralID = contract.referralID
            records[key]?.partnerID = contract.partnerID
            if records[key]?.monthlyValue == nil { records[key]?.monthlyValue = contract.monthlyValue }
        }
        for (key, entries) in Self.cash(cash, companyOf: companyOf) { records[key]?.cash = entries }
        clients = records.values.sorted { ($0.startedAt, $0.key) < ($1.startedAt, $1.key) }
        positions = Dictionary(uniqueKeysWithValues: clients.enumerated().map { ($1.key, $0) })
        companyOfVendorCustomer = companyOf
    }

    /// Each company's cash, oldest first: every business effect once (Stripe reports one payment
    /// as two events), a credit as money out, and a void as the payments it names taken back,
    /// whatever order they came in; never more taken back from an invoice than was paid on it.
    private static func cash(_ movements: [CashMovement], companyOf: [String: String]) -> [String: [ClientRecord.CashEntry]] {
        var seen: Set<String> = []
        let unique = movements.sorted { ($0.at, $0.businessKey) < ($1.at, $1.businessKey) }
            .filter { companyOf[$0.vendorKey] != nil && seen.insert($0.businessKey).inserted }
        // Payments first, so a void or credit dated before its payment still finds it.
        var payments: [String: [(paymentID: String?, amount: Money)]] = [:]
        for movement in unique where movement.kind == .payment {
            if let invoice = movement.invoiceKey, let amount = movement.amount { payments[invoice, default: []].append((movement.paymentID, amount)) }
        }
        var takenBack: [String: Int64] = [:]
        var entries: [String: [ClientRecord.CashEntry]] = [:]
        for movement in unique {
            let company = companyOf[movement.vendorKey]!
            var amount: Int64
            switch movement.kind {
            case .payment:
                if let paid = movement.amount { entries[company, default: []].append(.init(on: movement.at, amount: paid)) }
                continue
            case .credit:
                guard let credited = movement.amount else { continue }
                amount = credited.minorUnits
            case .void:
                // A void of the invoice takes back every payment on it; a void of one payment, that one.
                let voided = payments[movement.invoiceKey ?? "", default: []].filter { movement.paymentID == nil || $0.paymentID == movement.paymentID }
                amount = voided.reduce(0) { $0 + $1.amount.minorUnits }
            }
            guard let currency = movement.amount?.currency ?? payments[movement.invoiceKey ?? ""]?.first?.amount.currency else { continue }
            if let invoice = movement.invoiceKey, let paid = payments[invoice] {
                // What is left to take back from this invoice (a negative credit gives some back).
                let total = paid.filter { $0.amount.currency == currency }.reduce(0) { $0 + $1.amount.minorUnits }
                let already = takenBack[invoice, default: 0]
                amount = min(max(amount, -already), total - already)
                takenBack[invoice, default: 0] += amount
            }
            guard amount != 0 else { continue }
            entries[company, default: []].append(.init(on: movement.at, amount: Money(minorUnits: -amount, currency: currency)))
        }
        return entries.mapValues { $0.sorted { $0.on < $1.on } }
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

    /// Clients won in `period`: their first agreement, signing or payment falls in it and, when a
    /// go-live date is set, on or after that date. A client seen before go-live was already a
    /// client when the gateway's history became complete, so it is never new, in any period.
    public func newClients(in period: ReportPeriod, goLive: Date?) -> [ClientRecord] {
        clients.filter { period.contains($0.startedAt) && $0.startedAt >= (goLive ?? .distantPast) }
    }

    /// Clients active on `date`.
    public func active(on date: Date) -> [ClientRecord] {
        clients.filter { $0.isActive(on: date) }
    }
}
