public import Foundation

/// A PSA agreement (contract) was created for a customer: the moment a referred prospect becomes
/// a client, with the recurring amount it will bill.
public struct AgreementCreated: Hashable, Sendable, Codable {
    public var account: String?
    public var agreementID: String
    public var customer: CustomerReference
    public var name: String?
    /// Billed each `billingCycle` (monthly unless the PSA says otherwise).
    public var recurringAmount: Money?
    public var billingCycle: String?
    public var startDate: Date

    public init(
        account: String? = nil, agreementID: String, customer: CustomerReference, name: String? = nil, recurringAmount: Money? = nil,
        billingCycle: String? = nil, startDate: Date
    ) {
        self.account = account
        self.agreementID = agreementID
        self.customer = customer
        self.name = name
        self.recurringAmount = recurringAmount
        self.billingCycle = billingCycle
        self.startDate = startDate
    }

    enum CodingKeys: String, CodingKey {
        case account, customer, name
        case agreementID = "agreement_id"
        case recurringAmount = "recurring_amount"
        case billingCycle = "billing_cycle"
        case startDate = "start_date"
    }
}

/// A PSA agreement was cancelled or deleted.
public struct AgreementCancelled: Hashable, Sendable, Codable {
    /// The source that sent it; the customer may be unknown.
    public var source: String
    public var account: String?
    public var agreementID: String
    /// Absent when the PSA sends only the id (a deletion).
    public var customer: CustomerReference?
    /// When the agreement stops, when the PSA says (a deletion carries no date).
    public var endDate: Date?

    public init(source: String, account: String? = nil, agreementID: String, customer: CustomerReference? = nil, endDate: Date?) {
        self.source = source
        self.account = account
        self.agreementID = agreementID
        self.customer = customer
        self.endDate = endDate
    }

    enum CodingKeys: String, CodingKey {
        case source, account, customer
        case agreementID = "agreement_id"
        case endDate = "end_date"
    }
}

extension AgreementCreated {
    /// The agreement's recurring amount per month: an annual amount is a twelfth, a quarterly one
    /// a third (rounded half away from zero); any other cycle is taken as monthly.
    public var monthlyAmount: Money? {
        recurringAmount.map { Self.perMonth($0, cycle: billingCycle) }
    }

    /// `amount` billed each `cycle`, per month.
    static func perMonth(_ amount: Money, cycle: String?) -> Money {
        let months: Int64 =
            switch cycle?.lowercased() {
            case "annual", "annually", "yearly": 12
            case "quarterly": 3
            default: 1
            }
        return amount.prorated(1, of: months)
    }
}
