public import Foundation

/// One client company as the stored events describe it, whichever systems named it.
public struct ClientRecord: Hashable, Sendable, Encodable {
    /// `domain:brightdental.example` when a company domain is known, else `vendor:<source>:<id>`,
    /// so a company billed in Stripe and managed in Autotask is one client.
    public var key: String
    public var name: String?
    /// The first agreement, signing or payment: when the company became a client.
    public var startedAt: Date
    /// The first agreement's amount per month, else the first payment's recurring lines: what the
    /// client brought when it became one (new MRR).
    public var monthlyValue: Money?
    /// When its last agreement ended, if every agreement it had has ended.
    public var endedAt: Date?
    public var lastPaidAt: Date?
    /// The referral (and its partner) the company's contract is attributed to, if any.
    public var referralID: ReferralID?
    public var partnerID: PartnerID?
    /// When its first agreement started, if it has one.
    public var agreementSince: Date?
    /// Every payment date, oldest first.
    public var payments: [Date]
    /// Its PSA agreements, in the order they started.
    public var agreements: [Agreement] = []
    /// Cash movements: money collected (positive) and given back (negative), oldest first.
    public var cash: [CashEntry] = []

    /// A PSA agreement: when it ran and what it billed per month over time.
    public struct Agreement: Hashable, Sendable {
        /// `connectwise:AG1`.
        public var id: String
        public var start: Date
        /// When it ended (cancelled with an end date).
        public var end: Date?
        /// Its amount per month from each date on, oldest first (the first at `start`); `nil`
        /// where the PSA gave no amount.
        public var amounts: [(on: Date, monthly: Money?)]

        /// Whether it runs on `date`: started, and not ended by then.
        public func isOpen(on date: Date) -> Bool {
            start <= date && (end.map { $0 > date } ?? true)
        }

        /// Its amount per month on `date`.
        public func monthly(on date: Date) -> Money? {
            amounts.last { $0.on <= date }?.monthly ?? amounts.first?.monthly
        }

        public static func == (lhs: Agreement, rhs: Agreement) -> Bool {
            lhs.id == rhs.id && lhs.start == rhs.start && lhs.end == rhs.end
                && lhs.amounts.map(\.on) == rhs.amounts.map(\.on) && lhs.amounts.map(\.monthly) == rhs.amounts.map(\.monthly)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(id)
            hasher.combine(start)
        }
    }

    /// Cash in (a payment) or out (a credit, a voided payment) on a day.
    public struct CashEntry: Hashable, Sendable {
        public var on: Date
        /// Positive for money collected, negative for money given back.
        public var amount: Money
    }

    /// Whether the company was a client on `date`, by the one rule every report uses: with
    /// agreements, while one of them is open (a payment does not keep a client whose agreements
    /// all ended); without, until it lapses `lapseDays` after its last payment, or after it
    /// became a client when it never paid (a signing alone).
    public func isActive(on date: Date, lapseDays: Int = ClientRoster.lapseDays) -> Bool {
        guard startedAt <= date else { return false }
        if agreements.contains(where: { $0.isOpen(on: date) }) { return true }
        if agreements.contains(where: { $0.end.map { $0 <= date } ?? false }) { return false }
        let lastSign = max(startedAt, payments.last { $0 <= date } ?? startedAt)
        return date < lastSign.addingTimeInterval(Double(lapseDays) * 86_400)
    }

    /// What the client bills per month on `date`: the sum of its open agreements' amounts (in the
    /// first agreement's currency), or, without agreements, `monthlyValue`.
    public func monthlyValue(on date: Date) -> Money? {
        guard !agreements.isEmpty else { return monthlyValue }
        let open = agreements.filter { $0.isOpen(on: date) }.compactMap { $0.monthly(on: date) }
        guard let currency = open.first?.currency else { return nil }
        return Money(minorUnits: open.filter { $0.currency == currency }.reduce(0) { $0 + $1.minorUnits }, currency: currency)
    }

    /// A day the client's agreement MRR moved after it first started: an agreement starting,
    /// changing or ending.
    public struct MRRChange: Hashable, Sendable {
        public var on: Date
        public var before: Money
        public var after: Money
    }

    /// Every day the client's agreement MRR moved after its first agreement started, oldest first.
    public var mrrChanges: [MRRChange] {
        guard let first = agreements.map(\.start).min(),
            let currency = agreements.lazy.flatMap({ $0.amounts.compactMap(\.monthly) }).first?.currency
        else { return [] }
        let days = Set(agreements.flatMap { [$0.start] + $0.amounts.map(\.on) + ($0.end.map { [$0] } ?? []) }).filter { $0 > first }.sorted()
        func value(_ date: Date) -> Money {
            monthlyValue(on: date).flatMap { $0.currency == currency ? $0 : nil } ?? .zero(currency)
        }
        return days.compactMap { day in
            let change = MRRChange(on: day, before: value(day.addingTimeInterval(-1)), after: value(day))
            return change.before == change.after ? nil : change
        }
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
