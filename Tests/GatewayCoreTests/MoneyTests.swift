import GatewayCore
import Testing

@Suite struct MoneyTests {
    let usd = CurrencyCode("usd")!

    @Test func currencyCodesAreUpperCasedAndValidated() {
        #expect(CurrencyCode("usd")?.code == "USD")
        #expect(CurrencyCode("US") == nil)
        #expect(CurrencyCode("U5D") == nil)
        #expect(CurrencyCode("JPY")?.minorUnitExponent == 0)
        #expect(CurrencyCode("KWD")?.minorUnitExponent == 3)
    }

    @Test func shareIsExactForWholeCents() {
        #expect(Money(minorUnits: 49_900, currency: usd).share(BasisPoints(1000)).minorUnits == 4_990)
        #expect(Money(minorUnits: 129_900, currency: usd).share(BasisPoints(500)).minorUnits == 6_495)
    }

    @Test func shareRoundsHalfAwayFromZero() {
        // 10 % of 5 ¢ is 0.5 ¢: rounds to 1 ¢; 10 % of 4 ¢ is 0.4 ¢: rounds to 0.
        #expect(Money(minorUnits: 5, currency: usd).share(BasisPoints(1000)).minorUnits == 1)
        #expect(Money(minorUnits: 4, currency: usd).share(BasisPoints(1000)).minorUnits == 0)
        #expect(Money(minorUnits: -5, currency: usd).share(BasisPoints(1000)).minorUnits == -1)
        // 12.5 % of $0.99 is 12.375 ¢ → 12 ¢; of $1.00 is 12.5 ¢ → 13 ¢.
        #expect(Money(minorUnits: 99, currency: usd).share(BasisPoints(1250)).minorUnits == 12)
        #expect(Money(minorUnits: 100, currency: usd).share(BasisPoints(1250)).minorUnits == 13)
    }

    @Test func shareKeepsTheCurrency() {
        let yen = CurrencyCode("JPY")!
        #expect(Money(minorUnits: 10_001, currency: yen).share(BasisPoints(1000)) == Money(minorUnits: 1_000, currency: yen))
    }

    @Test func basisPointsParsePercentagesExactly() {
        #expect(BasisPoints(percent: "10%")?.value == 1000)
        #expect(BasisPoints(percent: "10")?.value == 1000)
        #expect(BasisPoints(percent: "12.5 %")?.value == 1250)
        #expect(BasisPoints(percent: "0.05%")?.value == 5)
        #expect(BasisPoints(percent: "1.234%") == nil)
        #expect(BasisPoints(percent: "ten") == nil)
        #expect(BasisPoints(percent: "-5%") == nil)
        #expect(BasisPoints(1250).description == "12.5%")
    }

    @Test func moneyPrintsWithItsDecimalPoint() {
        #expect(Money(minorUnits: 4_990, currency: usd).description == "49.90 USD")
        #expect(Money(minorUnits: -5, currency: usd).description == "-0.05 USD")
        #expect(Money(minorUnits: 1_000, currency: CurrencyCode("JPY")!).description == "1000 JPY")
    }
}
