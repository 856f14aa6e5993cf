import Foundation
import GatewayCore

extension EventMapping {
    /// The business event this mapping makes of `document`, a payload from `source`.
    func build(from document: JSONValue, source: String) throws(MappingError) -> BusinessEvent {
        let reader = FieldReader(document: document, fields: fields)
        switch emit {
        case .invoicePaid:
            let currency = try reader.currency("currency")
            return .invoicePaid(
                InvoicePaid(
                    account: try reader.optionalString("account"),
                    invoiceID: try reader.string("invoice_id"),
                    paymentID: try reader.optionalString("payment_id"),
                    customer: try reader.customer(source: source),
                    subscriptionID: try reader.optionalString("subscription_id"),
                    amountPaid: try reader.money("amount", currency: currency),
                    paidAt: try reader.date("paid_at"),
                    periodStart: try reader.optionalDate("period_start"),
                    periodEnd: try reader.optionalDate("period_end"),
                    lines: try lineReaders(in: document).map { line throws(MappingError) in
                        InvoicePaid.Line(
                            amount: try line.money("amount", currency: currency),
                            recurring: try line.bool("recurring"),
                            description: try line.optionalString("description"))
                    }))
        case .invoiceVoided:
            return .invoiceVoided(
                InvoiceVoided(
                    account: try reader.optionalString("account"), invoiceID: try reader.string("invoice_id"),
                    paymentID: try reader.optionalString("payment_id"), customer: try reader.customer(source: source),
                    voidedAt: try reader.date("voided_at")))
        case .creditIssued:
            return .creditIssued(
                CreditIssued(
                    account: try reader.optionalString("account"), creditID: try reader.string("credit_id"),
                    invoiceID: try reader.optionalString("invoice_id"), customer: try reader.customer(source: source),
                    amount: try reader.money("amount", currency: try reader.currency("currency")),
                    issuedAt: try reader.date("issued_at")))
        case .agreementCreated:
            let currency = try reader.optionalCurrency("currency")
            let amount = try currency.flatMap { currency throws(MappingError) in
                try reader.optionalMoney("recurring_amount", currency: currency)
            }
            if amount == nil, fields["recurring_amount"]?.resolve(in: document) != nil {
                throw MappingError(.missingField, "currency is needed to read recurring_amount")
            }
            return .agreementCreated(
                AgreementCreated(
                    account: try reader.optionalString("account"), agreementID: try reader.string("agreement_id"),
                    customer: try reader.customer(source: source), name: try reader.optionalString("name"),
                    recurringAmount: amount, billingCycle: try reader.optionalString("billing_cycle"),
                    startDate: try reader.date("start_date")))
        case .agreementChanged:
            return .agreementChanged(
                AgreementChanged(
                    account: try reader.optionalString("account"), agreementID: try reader.string("agreement_id"),
                    customer: try reader.customer(source: source),
                    recurringAmount: try reader.money("recurring_amount", currency: try reader.currency("currency")),
                    billingCycle: try reader.optionalString("billing_cycle"), effectiveAt: try reader.date("effective_at")))
        case .agreementCancelled:
            let customer: CustomerReference? =
                try reader.optionalString("customer_id") == nil ? nil : try reader.customer(source: source)
            return .agreementCancelled(
                AgreementCancelled(
                    source: source, account: try reader.optionalString("account"), agreementID: try reader.string("agreement_id"),
                    customer: customer, endDate: try reader.optionalDate("end_date")))
        case .clientSigned:
            return .clientSigned(ClientSigned(customer: try reader.customer(source: source), signedAt: try reader.date("signed_at")))
        case .customerSeen:
            return .customerSeen(CustomerSeen(customer: try reader.customer(source: source), seenAt: try reader.date("seen_at")))
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

extension FieldReader {
    /// The customer an event names: its id in `source`, and what helps match it to a referral.
    func customer(source: String) throws(MappingError) -> CustomerReference {
        CustomerReference(
            source: source,
            id: try string("customer_id"),
            email: try optionalString("customer_email"),
            domain: try optionalString("customer_domain"),
            name: try optionalString("customer_name"),
            referralCode: try optionalString("referral_code"))
    }
}
