import GatewayCore

/// The fields a business event kind takes from a definition, so a definition is checked when it
/// loads rather than when the first delivery fails.
struct EventSchema: Sendable {
    var required: Set<String>
    var optional: Set<String>
    var lineRequired: Set<String> = []
    var lineOptional: Set<String> = []

    /// Fields every event that names a customer may map.
    private static let customerFields: Set<String> = ["customer_email", "customer_domain", "customer_name", "referral_code"]

    static func of(_ kind: BusinessEvent.Kind) -> EventSchema {
        switch kind {
        case .invoicePaid:
            EventSchema(
                required: ["invoice_id", "customer_id", "amount", "currency", "paid_at"],
                optional: customerFields.union(["account", "payment_id", "subscription_id", "period_start", "period_end"]),
                lineRequired: ["amount", "recurring"],
                lineOptional: ["description"])
        case .invoiceVoided:
            EventSchema(required: ["invoice_id", "customer_id", "voided_at"], optional: customerFields.union(["account", "payment_id"]))
        case .creditIssued:
            EventSchema(
                required: ["credit_id", "customer_id", "amount", "currency", "issued_at"],
                optional: customerFields.union(["account", "invoice_id"]))
        case .agreementCreated:
            EventSchema(
                required: ["agreement_id", "customer_id", "start_date"],
                optional: customerFields.union(["account", "name", "recurring_amount", "currency", "billing_cycle"]))
        case .agreementChanged:
            EventSchema(
                required: ["agreement_id", "customer_id", "recurring_amount", "currency", "effective_at"],
                optional: customerFields.union(["account", "billing_cycle"]))
        case .agreementCancelled:
            EventSchema(required: ["agreement_id"], optional: customerFields.union(["account", "customer_id", "end_date"]))
        case .clientSigned:
            EventSchema(required: ["customer_id", "signed_at"], optional: customerFields)
        case .customerSeen:
            EventSchema(required: ["customer_id", "seen_at"], optional: customerFields)
        }
    }

    func check(fields: Set<String>, lines: Set<String>?, at location: String) throws(AdapterDefinitionError) {
        if let missing = required.subtracting(fields).sorted().first {
            throw AdapterDefinitionError(field: "\(location).fields.\(missing)", message: "required field is not mapped")
        }
        if let unknown = fields.subtracting(required).subtracting(optional).sorted().first {
            throw AdapterDefinitionError(
                field: "\(location).fields.\(unknown)",
                message: "unknown field; known: \(required.union(optional).sorted().joined(separator: ", "))")
        }
        guard let lines else { return }
        if lineRequired.isEmpty {
            throw AdapterDefinitionError(field: "\(location).lines", message: "this event kind has no lines")
        }
        if let missing = lineRequired.subtracting(lines).sorted().first {
            throw AdapterDefinitionError(field: "\(location).lines.fields.\(missing)", message: "required line field is not mapped")
        }
        if let unknown = lines.subtracting(lineRequired).subtracting(lineOptional).sorted().first {
            throw AdapterDefinitionError(field: "\(location).lines.fields.\(unknown)", message: "unknown line field")
        }
    }
}
