public import Foundation

/// What a partner earned in a period, line by line, and where their balance stands: the report a
/// partner (or the MSP's bookkeeper) checks by hand.
public struct PartnerStatement: Sendable, Encodable {
    /// One accrual line with where it came from and where it stands.
    public struct Line: Sendable, Encodable {
        public var accrual: Accrual
        public var status: Accrual.Status
        /// The referred client the line was earned on (the referral's prospect name).
        public var client: String
        /// When the payout holding the line was marked paid.
        public var paidAt: Date?

        public init(accrual: Accrual, status: Accrual.Status, client: String, paidAt: Date?) {
            self.accrual = accrual
            self.status = status
            self.client = client
            self.paidAt = paidAt
        }

        enum CodingKeys: String, CodingKey {
            case client
            case paidAt = "paid_at"
        }

        public func encode(to encoder: any Encoder) throws {
            try AccrualView(accrual, status: status).encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(client, forKey: .client)
            try container.encodeIfPresent(paidAt, forKey: .paidAt)
        }
    }

    public var partner: Partner
    public var period: ReportPeriod
    /// When the statement was produced: statuses (held, payable) are as of this moment.
    public var generatedAt: Date
    /// Lines earned in the period, oldest first.
    public var lines: [Line]
    /// The period's lines summed per currency and status.
    public var periodTotals: [StatusTotals]
    /// Every line the partner has, whenever earned, summed per currency and status: what is
    /// payable now, held, in a payout, and paid to date.
    public var balance: [StatusTotals]

    public init(partner: Partner, period: ReportPeriod, generatedAt: Date, lines: [Line], balance: [StatusTotals]) {
        self.partner = partner
        self.period = period
        self.generatedAt = generatedAt
        self.lines = lines
        self.periodTotals = StatusTotals.sum(lines.map { ($0.accrual.line.amount, $0.status) })
        self.balance = balance
    }

    enum CodingKeys: String, CodingKey {
        case partner, period, lines, balance
        case generatedAt = "generated_at"
        case periodTotals = "period_totals"
    }
}

/// Amounts of one currency per accrual status.
public struct StatusTotals: Hashable, Sendable, Encodable {
    public var currency: CurrencyCode
    public var lines: Int
    public var minorUnits: [Accrual.Status: Int64]

    public init(currency: CurrencyCode, lines: Int = 0, minorUnits: [Accrual.Status: Int64] = [:]) {
        self.currency = currency
        self.lines = lines
        self.minorUnits = minorUnits
    }

    public func amount(_ status: Accrual.Status) -> Money {
        Money(minorUnits: minorUnits[status] ?? 0, currency: currency)
    }

    /// Everything earned and not voided.
    public var earned: Money {
        Money(minorUnits: minorUnits.filter { $0.key != .voided }.values.reduce(0, +), currency: currency)
    }

    /// Sums amounts per currency and status; currencies sorted by code.
    public static func sum(_ amounts: some Sequence<(Money, Accrual.Status)>, lines: (Money, Accrual.Status) -> Int = { _, _ in 1 }) -> [StatusTotals] {
        var totals: [CurrencyCode: StatusTotals] = [:]
        for (amount, status) in amounts {
            totals[amount.currency, default: StatusTotals(currency: amount.currency)].add(amount.minorUnits, status, lines: lines(amount, status))
        }
        return totals.values.sorted { $0.currency.code < $1.currency.code }
    }

    public mutating func add(_ minorUnits: Int64, _ status: Accrual.Status, lines: Int = 1) {
        self.minorUnits[status, default: 0] += minorUnits
        self.lines += lines
    }

    enum CodingKeys: String, CodingKey {
        case currency, lines, earned
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(currency, forKey: .currency)
        try container.encode(lines, forKey: .lines)
        try container.encode(earned, forKey: .earned)
        var statuses = encoder.container(keyedBy: Accrual.Status.CodingKeys.self)
        for status in Accrual.Status.allCases {
            try statuses.encode(amount(status), forKey: Accrual.Status.CodingKeys(status))
        }
    }
}

extension Accrual.Status {
    /// A status as a JSON key (`awaiting_approval`).
    struct CodingKeys: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ status: Accrual.Status) { stringValue = status.rawValue }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

extension PartnerStatement {
    /// The statement's lines as CSV, one row per accrual line.
    public var csv: String {
        var table = CSVTable(header: [
            "accrual_id", "earned_at", "client", "rule", "plan_id", "plan_version", "basis", "rate_percent", "amount", "currency", "status",
            "hold_until", "paid_at", "delivery_id", "business_key", "adjusts", "note",
        ])
        for line in lines {
            let accrual = line.accrual.line
            table.append([
                "\(line.accrual.id.rawValue)", PayoutExport.day(accrual.earnedAt), line.client, accrual.rule, "\(accrual.planID.rawValue)",
                "\(accrual.planVersion)", accrual.basis?.decimalString ?? "", accrual.rate.map { String($0.description.dropLast()) } ?? "", accrual.amount.decimalString,
                accrual.amount.currency.code, line.status.rawValue, PayoutExport.day(accrual.holdUntil), line.paidAt.map(PayoutExport.day) ?? "",
                accrual.sourceDelivery.map { "\($0.rawValue)" } ?? "", accrual.businessKey, accrual.adjusts ?? "", accrual.note,
            ])
        }
        return table.text
    }
}
