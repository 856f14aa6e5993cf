import Foundation
import GRDB
import GatewayCore
import GatewayRepositories

/// How the stored rows read back as the gateway's types.
extension Partner {
    init(row: Row) throws {
        guard let kind = Partner.Kind(rawValue: row["kind"]), let payout = Partner.PayoutForm(rawValue: row["payout_form"]) else {
            throw DatabaseError(message: "partner \(row["id"] as Int64? ?? 0) has an unknown kind or payout form")
        }
        self.init(
            id: PartnerID(row["id"]), name: row["name"], kind: kind, specialty: (row["specialty"] as String?).flatMap(Partner.Specialty.init),
            payoutForm: payout, email: row["email"], domains: try ColumnJSON.value([String].self, from: row["domains"]),
            vendorIDs: try ColumnJSON.value([String: String].self, from: row["vendor_ids"]), createdAt: row["created_at"],
            deactivatedAt: row["deactivated_at"])
    }
}

extension PlanVersion {
    /// The terms column holds every term; the effective date is read from its own column, exact.
    init(row: Row) throws {
        var terms = try ColumnJSON.value(PlanTerms.self, from: row["terms"])
        terms.effectiveFrom = row["effective_from"]
        self.init(planID: PlanID(row["plan_id"]), version: row["version"], terms: terms)
    }
}

extension Referral {
    init(row: Row) throws {
        self.init(
            id: ReferralID(row["id"]),
            partnerID: PartnerID(row["partner_id"]),
            planID: PlanID(row["plan_id"]),
            prospectName: row["prospect_name"],
            domains: try ColumnJSON.value([String].self, from: row["domains"]),
            contactEmails: try ColumnJSON.value([String].self, from: row["contact_emails"]),
            vendorIDs: try ColumnJSON.value([String: String].self, from: row["vendor_ids"]),
            referralCode: row["referral_code"],
            introducedAt: row["introduced_at"],
            qualifiedAt: row["qualified_at"],
            lostAt: row["lost_at"],
            lostReason: row["lost_reason"],
            claimShare: row["claim_share"])
    }
}

extension Contract {
    init(row: Row) throws {
        self.init(
            id: ContractID(row["id"]),
            referralID: ReferralID(row["referral_id"]),
            partnerID: PartnerID(row["partner_id"]),
            planID: PlanID(row["plan_id"]),
            customer: try ColumnJSON.value(CustomerReference.self, from: row["customer"]),
            startedAt: row["started_at"],
            createdByDelivery: DeliveryID(row["created_by_delivery"]),
            endedAt: row["ended_at"],
            monthlyValue: try (row["monthly_value"] as String?).map { try ColumnJSON.value(Money.self, from: $0) })
    }
}

extension Accrual {
    init(row: Row) throws {
        guard let currency = CurrencyCode(row["currency"]), let state = Accrual.State(rawValue: row["state"]),
            let beneficiary = AccrualLine.Beneficiary(rawValue: row["beneficiary"])
        else {
            throw DatabaseError(message: "accrual \(row["id"] as Int64? ?? 0) has an unreadable currency, state or beneficiary")
        }
        self.init(
            id: AccrualID(row["id"]),
            contractID: (row["contract_id"] as Int64?).map(ContractID.init),
            line: AccrualLine(
                key: row["accrual_key"],
                partnerID: PartnerID(row["partner_id"]),
                beneficiary: beneficiary,
                referralID: ReferralID(row["referral_id"]),
                sourceDelivery: (row["delivery_id"] as Int64?).map(DeliveryID.init),
                businessKey: row["business_key"],
                rule: row["rule"],
                planID: PlanID(row["plan_id"]),
                planVersion: row["plan_version"],
                basis: (row["basis_minor"] as Int64?).map { Money(minorUnits: $0, currency: currency) },
                rate: (row["rate_bps"] as Int64?).map(BasisPoints.init),
                amount: Money(minorUnits: row["amount_minor"], currency: currency),
                earnedAt: row["earned_at"],
                holdUntil: row["hold_until"],
                note: row["note"],
                needsApproval: row["needs_approval"],
                adjusts: row["adjusts"]),
            state: state,
            approvedAt: row["approved_at"],
            payoutID: row["payout_id"])
    }
}

extension StoredDelivery {
    init(row: Row) throws {
        self.init(
            id: DeliveryID(row["id"]),
            source: row["source"],
            vendorDeliveryID: row["vendor_delivery_id"],
            eventType: row["event_type"],
            receivedAt: row["received_at"],
            requestID: row["request_id"],
            body: row["body"],
            headers: try ColumnJSON.value([String: String].self, from: row["headers"]),
            verification: try ColumnJSON.value(Verification.self, from: row["verification"]),
            status: DeliveryStatus(rawValue: row["status"]) ?? .failed,
            statusReason: row["status_reason"],
            adapterVersion: row["adapter_version"],
            processedAt: row["processed_at"],
            attempts: row["attempts"],
            nextAttemptAt: row["next_attempt_at"],
            duplicateCount: row["duplicate_count"],
            lastDuplicateAt: row["last_duplicate_at"],
            bodyPrunedAt: row["body_pruned_at"])
    }
}
