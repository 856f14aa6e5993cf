extension BusinessEvent {
    /// The keys a stored event is found by: its customer's match keys, and its agreement (so a
    /// cancellation that names no customer still meets the agreement it ends).
    public var lookupKeys: [String] {
        var keys = customer.map { ReferralMatchKey.candidates(for: $0).map(\.storageKey) } ?? []
        switch self {
        case .agreementCreated(let agreement): keys.append("agreement:\(agreement.customer.source):\(agreement.agreementID)")
        case .agreementChanged(let change): keys.append("agreement:\(change.customer.source):\(change.agreementID)")
        case .agreementCancelled(let cancelled): keys.append("agreement:\(cancelled.source):\(cancelled.agreementID)")
        case .invoicePaid(let paid): keys.append(Self.invoiceKey(paid.invoiceID))
        case .invoiceVoided(let voided): keys.append(Self.invoiceKey(voided.invoiceID))
        case .creditIssued(let credit): if let invoice = credit.invoiceID { keys.append(Self.invoiceKey(invoice)) }
        default: break
        }
        return keys
    }

    /// The key an invoice's payments, credits and voids share. The ledger matches reversals to
    /// payments by invoice id alone, so the key does too.
    public static func invoiceKey(_ invoiceID: String) -> String {
        "invoice:\(invoiceID)"
    }

    /// The key of the vendor customer the event names, if it names one.
    public var customerKey: String? {
        customer.map { ReferralMatchKey.vendor(source: $0.source, id: $0.id).storageKey }
    }
}
