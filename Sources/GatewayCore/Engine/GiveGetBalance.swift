public import Foundation

/// A partner relationship's balance: what the partner sent the MSP (referrals, contracts, MRR)
/// against what the MSP sent back, with the relationships that need attention flagged.
public struct GiveGetBalance: Sendable, Hashable, Encodable {
    public enum Flag: String, Sendable, Hashable, Encodable {
        /// The partner sends clients; the MSP has sent nothing back.
        case oneSidedReceiving = "one_sided_receiving"
        /// The MSP sends work; the partner has sent no client.
        case oneSidedGiving = "one_sided_giving"
        /// Nothing in either direction for longer than the quiet period.
        case quiet
    }

    public var partnerID: PartnerID
    public var partnerName: String
    public var kind: Partner.Kind
    public var referralsReceived: Int
    public var contractsSigned: Int
    /// Monthly recurring value of the partner's contracts still running, per currency.
    public var mrrReceived: [Money]
    public var referralsGiven: Int
    public var mrrGiven: [Money]
    public var lastActivity: Date?
    public var flags: [Flag]

    public init(
        partner: Partner, referrals: [Referral], contracts: [Contract], outbound: [OutboundReferral], now: Date, quietAfterDays: Int
    ) {
        partnerID = partner.id
        partnerName = partner.name
        kind = partner.kind
        referralsReceived = referrals.count
        contractsSigned = contracts.count
        mrrReceived = Money.sums(contracts.filter { $0.endedAt.map { $0 > now } ?? true }.compactMap(\.monthlyValue))
        referralsGiven = outbound.count
        mrrGiven = Money.sums(outbound.compactMap(\.monthlyValue))
        lastActivity = (referrals.map(\.introducedAt) + outbound.map(\.referredAt)).max()
        var flags: [Flag] = []
        if referralsReceived > 0, referralsGiven == 0 { flags.append(.oneSidedReceiving) }
        if referralsGiven > 0, referralsReceived == 0 { flags.append(.oneSidedGiving) }
        let quietSince = now.addingTimeInterval(-TimeInterval(quietAfterDays) * 86_400)
        if (lastActivity ?? partner.createdAt) < quietSince { flags.append(.quiet) }
        self.flags = flags
    }

    enum CodingKeys: String, CodingKey {
        case kind, flags
        case partnerID = "partner_id"
        case partnerName = "partner_name"
        case referralsReceived = "referrals_received"
        case contractsSigned = "contracts_signed"
        case mrrReceived = "mrr_received"
        case referralsGiven = "referrals_given"
        case mrrGiven = "mrr_given"
        case lastActivity = "last_activity"
    }
}
