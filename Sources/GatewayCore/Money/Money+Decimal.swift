public import Foundation

extension Money {
    /// Converts a vendor's decimal amount in major units (`1499.00` dollars) to minor units,
    /// exactly: `nil` when the amount has more decimals than the currency's minor unit allows or
    /// does not fit, never a silently rounded value.
    public init?(decimal amount: Decimal, currency: CurrencyCode) {
        var scaled = amount
        for _ in 0..<currency.minorUnitExponent { scaled *= 10 }
        var whole = Decimal()
        NSDecimalRound(&whole, &scaled, 0, .plain)
        guard whole == scaled, let minorUnits = Int64(whole.description) else { return nil }
        self.init(minorUnits: minorUnits, currency: currency)
    }
}
