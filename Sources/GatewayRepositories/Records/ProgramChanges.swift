public import Foundation
public import GatewayCore

/// Changes to the program written together or not at all (an import): new and changed partners,
/// referrals with the status the sheet gives them, outbound referrals and client reviews.
public struct ProgramChanges: Sendable {
    /// A status a referral reached that the program records (signed comes from the events).
    public enum StatusChange: Sendable, Hashable {
        case qualified(on: Date)
        case lost(on: Date, reason: String)
    }

    /// A referral to record, with the flags raised for it and the status it already reached.
    public struct NewReferral: Sendable {
        public var referral: Referral
        public var flags: [String]
        public var status: StatusChange?

        public init(referral: Referral, flags: [String], status: StatusChange?) {
            self.referral = referral
            self.flags = flags
            self.status = status
        }
    }

    public var newPartners: [Partner] = []
    public var changedPartners: [Partner] = []
    public var newReferrals: [NewReferral] = []
    public var statusChanges: [(ReferralID, StatusChange)] = []
    public var newOutboundReferrals: [OutboundReferral] = []
    public var changedOutboundReferrals: [OutboundReferral] = []
    public var newClientReviews: [ClientReview] = []
    public var changedClientReviews: [ClientReview] = []

    public init() {}

    /// Whether there is nothing to write.
    public var isEmpty: Bool {
        newPartners.isEmpty && changedPartners.isEmpty && newReferrals.isEmpty && statusChanges.isEmpty && newOutboundReferrals.isEmpty
            && changedOutboundReferrals.isEmpty && newClientReviews.isEmpty && changedClientReviews.isEmpty
    }
}
