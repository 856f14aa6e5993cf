import Foundation
import GatewayCore
import GatewayRepositories
import PostgresNIO

extension Partner {
    /// A `partner` row (every column).
    init(postgres row: PostgresRow) throws {
        let row = row.makeRandomAccess()
        let id = try row["id"].decode(Int64.self)
        guard let kind = Partner.Kind(rawValue: try row["kind"].decode(String.self)),
            let payout = Partner.PayoutForm(rawValue: try row["payout_form"].decode(String.self))
        else {
            throw GatewayError.invalid("partner \(id) has an unknown kind or payout form")
        }
        self.init(
            id: PartnerID(id), name: try row["name"].decode(String.self), kind: kind,
            specialty: try row["specialty"].decode(String?.self).flatMap(Partner.Specialty.init), payoutForm: payout,
            email: try row["email"].decode(String?.self), domains: try ColumnJSON.value([String].self, from: row["domains"].decode(String.self)),
            vendorIDs: try ColumnJSON.value([String: String].self, from: row["vendor_ids"].decode(String.self)),
            createdAt: try row["created_at"].decode(Date.self), deactivatedAt: try row["deactivated_at"].decode(Date?.self))
    }
}

extension PlanVersion {
    /// A `plan_version` row: the terms column holds every term; the effective date is read from
    /// its own column, exact.
    init(postgres row: PostgresRow) throws {
        let row = row.makeRandomAccess()
        var terms = try ColumnJSON.value(PlanTerms.self, from: row["terms"].decode(String.self))
        terms.effectiveFrom = try row["effective_from"].decode(Date.self)
        self.init(planID: PlanID(try row["plan_id"].decode(Int64.self)), version: try row["version"].decode(Int.self), terms: terms)
    }
}

extension Referral {
    /// A `referral` row (every column).
    init(postgres row: PostgresRandomAccessRow) throws {
        self.init(
            id: ReferralID(try row["id"].decode(Int64.self)),
            partnerID: PartnerID(try row["partner_id"].decode(Int64.self)),
            planID: PlanID(try row["plan_id"].decode(Int64.self)),
            prospectName: try row["prospect_name"].decode(String.self),
            domains: try ColumnJSON.value([String].self, from: row["domains"].decode(String.self)),
            contactEmails: try ColumnJSON.value([String].self, from: row["contact_emails"].decode(String.self)),
            vendorIDs: try ColumnJSON.value([String: String].self, from: row["vendor_ids"].decode(String.self)),
            referralCode: try row["referral_code"].decode(String?.self),
            introducedAt: try row["introduced_at"].decode(Date.self),
            qualifiedAt: try row["qualified_at"].decode(Date?.self),
            lostAt: try row["lost_at"].decode(Date?.self),
            lostReason: try row["lost_reason"].decode(String?.self),
            claimShare: try row["claim_share"].decode(Int.self))
    }
}
