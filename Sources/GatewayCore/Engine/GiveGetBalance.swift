public import Foundation

/// A partner relationship's balance over a trailing window: the referrals the partner sent the
/// MSP against the ones the MSP sent back, like with like (introductions against introductions,
/// the MRR each side's clients bring at signing), with the relationships that need attention
/// flagged.
public struct GiveGetBalance: Sendable, Hashable, Encodable {
    public enum Flag: String, Sendable, Hashable, Encodable {
        /// The partner sent more than `ratio` times what the MSP sent back: the MSP owes a give-back.
        case owedGiveBack = "owed_give_back"
        /// The MSP sent more than `ratio` times what the partner sent.
        case unreturned
        /// Nothing in either direction for longer than the quiet period.
        case quiet
    }

    /// When a relationship counts as tipped, and over how long.
    public struct Policy: Sendable, Hashable {
        /// Flag when one side's referrals exceed `ratio` times the other's (3 means 3 to 1).
        public var ratio: Int
        /// How many months back the referrals each way are counted.
        public var windowMonths: Int
        /// Days without a referral either way after which a relationship is quiet.
        public var quietAfterDays: Int

        public init(ratio: Int = 3, windowMonths: Int = 12, quietAfterDays: Int = 90) {
            self.ratio = ratio
            self.windowMonths = windowMonths
            self.quietAfterDays = quietAfterDays
        }
    }

    public var partnerID: PartnerID
    public var partnerName: String
    public var kind: Partner.Kind
    /// The window the counts cover: `windowMonths` months up to `now`.
    public var windowFrom: Date
    public var windowMonths: Int
    /// The ratio the flags were set by (3 means 3 to 1).
    public var ratio: Int
    /// Referrals the partner introduced in the window.
    public var referralsReceived: Int
    /// Of the partner's referrals, contracts that started in the window, and their MRR at signing.
    public var contractsSigned: Int
    public var mrrReceived: [Money]
    /// Referrals the MSP sent the partner in the window, and their MRR as recorded.
    public var referralsGiven: Int
    public var mrrGiven: [Money]
    public var lastActivity: Date?
    public var flags: [Flag]

    public init(
        partner: Partner, referrals: [Referral], contracts: [Contract], outbound: [OutboundReferral], now: Date, policy: Policy,
        calendar: Calendar = .reports
    ) {
        partnerID = partner.id
        partnerName = partner.name
        kind = partner.kind
        windowMonths = policy.windowMonths
        ratio = policy.ratio
        windowFrom = calendar.date(byAdding: .month, value: -policy.windowMonths, to: now)!
        let from = windowFrom
        let inWindow = { (date: Date) in date >= from && date <= now }
        let signed = contracts.filter { inWindow($0.startedAt) }
        let given = outbound.filter { inWindow($0.referredAt) }
        referralsReceived = referrals.filter { inWindow($0.introducedAt) }.count
        contractsSigned = signed.count
        mrrReceived = Money.sums(signed.compactMap(\.monthlyValue))
        referralsGiven = given.count
        mrrGiven = Money.sums(given.compactMap(\.monthlyValue))
        lastActivity = (referrals.map(\.introducedAt) + outbound.map(\.referredAt)).filter { $0 <= now }.max()
        var flags: [Flag] = []
        if referralsReceived > policy.ratio * referralsGiven { flags.append(.owedGiveBack) }
        if referralsGiven > policy.ratio * referralsReceived { flags.append(.unreturned) }
        let quietSince = now.addingTimeInterval(-TimeInterval(policy.quietAfterDays) * 86_400)
        if (lastActivity ?? partner.createdAt) < quietSince { flags.append(.quiet) }
        self.flags = flags
    }

    /// The balances flagged `owedGiveBack`, the partners who sent most first.
    public static func owedGiveBack(_ balances: [GiveGetBalance]) -> [GiveGetBalance] {
        balances.filter { $0.flags.contains(.owedGiveBack) }
            .sorted { ($0.referralsReceived, -$0.partnerID.rawValue) > ($1.referralsReceived, -$1.partnerID.rawValue) }
    }

    enum CodingKeys: String, CodingKey {
        case kind, flags, ratio
        case partnerID = "partner_id"
        case partnerName = "partner_name"
        case windowFrom = "window_from"
        case windowMonths = "window_months"
        case referralsReceived = "referrals_received"
        case contractsSigned = "contracts_signed"
        case mrrReceived = "mrr_received"
        case referralsGiven = "referrals_given"
        case mrrGiven = "mrr_given"
        case lastActivity = "last_activity"
    }
}
