extension Money {
    /// The rule every commission amount goes through: `amount × rate / 10 000`, computed in
    /// integers and rounded half away from zero to the minor unit.
    ///
    /// One rule, applied once per accrual line, so a statement can be checked by hand:
    /// 10 % of $0.05 is $0.01 (0.5 ¢ rounds up), 10 % of −$0.05 is −$0.01.
    public func share(_ rate: BasisPoints) -> Money {
        let (product, overflow) = minorUnits.multipliedReportingOverflow(by: rate.value)
        precondition(!overflow, "commission basis \(self) × \(rate) overflows Int64")
        let quotient = product / 10_000
        let remainder = product % 10_000
        let rounded = remainder.magnitude * 2 >= 10_000 ? quotient + (product < 0 ? -1 : 1) : quotient
        return Money(minorUnits: rounded, currency: currency)
    }

    /// `amount × numerator / denominator` in integers, rounded half away from zero (a part of a
    /// payment, a split claim, an annual amount per month); zero when `denominator` is not positive.
    public func prorated(_ numerator: Int64, of denominator: Int64) -> Money {
        guard denominator > 0 else { return .zero(currency) }
        let product = minorUnits * numerator
        let quotient = product / denominator
        let remainder = product % denominator
        let rounded = remainder.magnitude * 2 >= denominator.magnitude ? quotient + (product < 0 ? -1 : 1) : quotient
        return Money(minorUnits: rounded, currency: currency)
    }
}
