/// An amount of money: integer minor units (cents) in one currency. Never a floating-point value.
public struct Money: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The amount in the currency's smallest unit (cents for USD, yen for JPY).
    public var minorUnits: Int64
    public var currency: CurrencyCode

    public init(minorUnits: Int64, currency: CurrencyCode) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// Zero in the given currency.
    public static func zero(_ currency: CurrencyCode) -> Money {
        Money(minorUnits: 0, currency: currency)
    }

    /// The amount written with its decimal point, e.g. `49.90 USD`.
    public var description: String { "\(decimalString) \(currency)" }

    /// The amount with its decimal point and no currency (`-49.90`), as spreadsheets and
    /// accounts-payable imports read it.
    public var decimalString: String {
        let exponent = currency.minorUnitExponent
        guard exponent > 0 else { return "\(minorUnits)" }
        var divisor: Int64 = 1
        for _ in 0..<exponent { divisor *= 10 }
        let sign = minorUnits < 0 ? "-" : ""
        let magnitude = minorUnits.magnitude
        let whole = magnitude / UInt64(divisor)
        let fraction = String(magnitude % UInt64(divisor))
        let padded = String(repeating: "0", count: exponent - fraction.count) + fraction
        return "\(sign)\(whole).\(padded)"
    }

    /// Amounts summed per currency, never across currencies; sorted by currency code.
    public static func sums(_ amounts: some Sequence<Money>) -> [Money] {
        var totals: [CurrencyCode: Int64] = [:]
        for amount in amounts { totals[amount.currency, default: 0] += amount.minorUnits }
        return totals.map { Money(minorUnits: $1, currency: $0) }.sorted { $0.currency.code < $1.currency.code }
    }

    enum CodingKeys: String, CodingKey {
        case minorUnits = "minor_units"
        case currency
    }
}
