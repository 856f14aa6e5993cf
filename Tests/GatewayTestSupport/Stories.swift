public import Foundation
public import GatewayCore
public import GatewayEngine

/// The program the tests' stories share, set up through the engine as an admin would.
public enum Stories {
    /// Acme Accounting (a center of influence) introduced Bright Dental (`brightdental.example`) on
    /// 20 May 2025, on a plan paying 10 % of collected payments.
    public struct BrightDental: Sendable {
        public var partner: Partner
        public var plan: CommissionPlan
        public var referral: ReferralRecord
    }

    public static let brightDentalDomain = "brightdental.example"

    /// - Parameters:
    ///   - months: how long the 10 % applies (the life of the contract by default).
    ///   - vendorIDs: Bright Dental's ids in vendor systems, known at the introduction.
    @discardableResult
    public static func brightDental(
        _ program: ProgramService, planName: String = "10% of collected", months: Int? = nil, vendorIDs: [String: String] = [:],
        introduced: String = "2025-05-20", holdDays: Int = PlanTerms.defaultHoldDays, at now: Date = Date()
    ) async throws -> BrightDental {
        let partner = try await program.addPartner(PartnerInput(name: "Acme Accounting", kind: "center_of_influence"), at: now)
        let plan = try await program.addPlan(
            PlanInput(name: planName, terms: PlanTerms(rules: [.recurringShare(rate: BasisPoints(1000), months: months)], holdDays: holdDays)),
            at: now)
        let referral = try await program.addReferral(
            ReferralInput(
                partnerID: partner.id.rawValue, planID: plan.id.rawValue, prospectName: "Bright Dental", domains: [brightDentalDomain],
                vendorIDs: vendorIDs, introducedAt: introduced), at: now)
        return BrightDental(partner: partner, plan: plan, referral: referral)
    }
}
