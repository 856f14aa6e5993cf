public import Foundation
public import GatewayCore

/// An amount as people type it in a form or a flag: `250 USD`, `1499.00 EUR`.
public enum MoneyInput {
    /// The amount `text` states; `nil` for an empty field.
    ///
    /// - Throws: `GatewayError.invalid`, with `field`, for anything else.
    public static func parse(_ text: String?, field: String) throws(GatewayError) -> Money? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        let parts = text.split(separator: " ")
        guard parts.count == 2, let amount = Decimal(string: String(parts[0]), locale: Locale(identifier: "en_US_POSIX")),
            let currency = CurrencyCode(String(parts[1]).uppercased()), let money = Money(decimal: amount, currency: currency)
        else { throw .invalid("\(field) takes an amount and its currency, e.g. 250 USD", field: field) }
        return money
    }
}
