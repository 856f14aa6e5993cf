import Foundation
import GatewayCore

extension EventMapping {
    /// The business event this mapping makes of `document`, a payload from `source`.
    func build(from document: JSONValue, source: String) throws(MappingError) -> BusinessEvent {
        let reader = FieldReader(document: document, fields: fields)
        switch emit {
        case .invoicePaid:
            let currency = try reader.currency("currency")
            let customer = CustomerReference(
                source: source,
                id: try reader.string("customer_id"),
                email: try reader.optionalString("customer_email"),
                name: try reader.optionalString("customer_name"),
                referralCode: try reader.optionalString("referral_code"))
            return .invoicePaid(
                InvoicePaid(
                    account: try reader.optionalString("account"),
                    invoiceID: try reader.string("invoice_id"),
                    customer: customer,
                    subscriptionID: try reader.optionalString("subscription_id"),
                    amountPaid: Money(minorUnits: try reader.minorUnits("amount"), currency: currency),
                    paidAt: try reader.date("paid_at"),
                    periodStart: try reader.optionalDate("period_start"),
                    periodEnd: try reader.optionalDate("period_end"),
                    lines: try lineReaders(in: document).map { line throws(MappingError) in
                        InvoicePaid.Line(
                            amount: Money(minorUnits: try line.minorUnits("amount"), currency: currency),
                            recurring: try line.bool("recurring"),
                            description: try line.optionalString("description"))
                    }))
        }
    }

    /// One reader per element of the `lines.each` array (none when the mapping has no lines).
    private func lineReaders(in document: JSONValue) throws(MappingError) -> [FieldReader] {
        guard let lines else { return [] }
        guard let found = document.value(at: lines.each) else { return [] }
        guard case .array(let elements) = found else {
            throw MappingError(.invalidField, "lines at \(lines.each) must be an array, found \(found.typeName)")
        }
        return elements.enumerated().map { index, element in
            FieldReader(document: element, fields: lines.fields, context: "lines[\(index)].")
        }
    }
}
