import GatewayCore

/// The fields a business event kind takes from a definition, so a definition is checked when it
/// loads rather than when the first delivery fails.
struct EventSchema: Sendable {
    var required: Set<String>
    var optional: Set<String>
    var lineRequired: Set<String> = []
    var lineOptional: Set<String> = []

    static func of(_ kind: BusinessEvent.Kind) -> EventSchema {
        switch kind {
        case .invoicePaid:
            EventSchema(
                required: ["invoice_id", "customer_id", "amount", "currency", "paid_at"],
                optional: ["account", "customer_email", "customer_name", "referral_code", "subscription_id", "period_start", "period_end"],
                lineRequired: ["amount", "recurring"],
                lineOptional: ["description"])
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
