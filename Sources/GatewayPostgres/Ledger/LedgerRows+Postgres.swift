import Foundation
import GatewayCore
import GatewayRepositories
import PostgresNIO

extension Accrual {
    /// An `accrual` row (every column; `contract_id` too when the query joined it).
    init(postgres row: PostgresRandomAccessRow) throws {
        let id = try row["id"].decode(Int64.self)
        guard let currency = CurrencyCode(try row["currency"].decode(String.self)), let state = Accrual.State(rawValue: try row["state"].decode(String.self)),
            let beneficiary = AccrualLine.Beneficiary(rawValue: try row["beneficiary"].decode(String.self))
        else {
            throw GatewayError.invalid("accrual \(id) has an unreadable currency, state or beneficiary")
        }
        self.init(
            id: AccrualID(id),
            contractID: row.contains("contract_id") ? try row["contract_id"].decode(Int64?.self).map(ContractID.init) : nil,
            line: AccrualLine(
                key: try row["accrual_key"].decode(String.self),
                partnerID: PartnerID(try row["partner_id"].decode(Int64.self)),
                beneficiary: beneficiary,
                referralID: ReferralID(try row["referral_id"].decode(Int64.self)),
                sourceDelivery: try row["delivery_id"].decode(Int64?.self).map(DeliveryID.init),
                businessKey: try row["business_key"].decode(String.self),
                rule: try row["rule"].decode(String.self),
                planID: PlanID(try row["plan_id"].decode(Int64.self)),
                planVersion: try row["plan_version"].decode(Int.self),
                basis: try row["basis_minor"].decode(Int64?.self).map { Money(minorUnits: $0, currency: currency) },
                rate: try row["rate_bps"].decode(Int64?.self).map(BasisPoints.init),
                amount: Money(minorUnits: try row["amount_minor"].decode(Int64.self), currency: currency),
                earnedAt: try row["earned_at"].decode(Date.self),
                holdUntil: try row["hold_until"].decode(Date.self),
                note: try row["note"].decode(String.self),
                needsApproval: try row["needs_approval"].decode(Bool.self),
                adjusts: try row["adjusts"].decode(String?.self)),
            state: state,
            approvedAt: try row["approved_at"].decode(Date?.self),
            payoutID: try row["payout_id"].decode(Int64?.self))
    }
}

extension Contract {
    /// A `contract` row (every column).
    init(postgres row: PostgresRandomAccessRow) throws {
        self.init(
            id: ContractID(try row["id"].decode(Int64.self)),
            referralID: ReferralID(try row["referral_id"].decode(Int64.self)),
            partnerID: PartnerID(try row["partner_id"].decode(Int64.self)),
            planID: PlanID(try row["plan_id"].decode(Int64.self)),
            customer: try ColumnJSON.value(CustomerReference.self, from: row["customer"].decode(String.self)),
            startedAt: try row["started_at"].decode(Date.self),
            createdByDelivery: DeliveryID(try row["created_by_delivery"].decode(Int64.self)),
            endedAt: try row["ended_at"].decode(Date?.self),
            monthlyValue: try row["monthly_value"].decode(String?.self).map { try ColumnJSON.value(Money.self, from: $0) })
    }
}
