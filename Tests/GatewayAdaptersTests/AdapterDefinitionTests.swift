import Foundation
import GatewayAdapters
import GatewayCore
import GatewayTestSupport
import Testing

/// The repository's `adapters/` and `fixtures/` folders.
enum Repository {
    static let root = Fixtures.root
    static let adapters = root.appendingPathComponent("adapters")
    static let fixtures = root.appendingPathComponent("fixtures")
}

@Suite struct AdapterDefinitionTests {
    /// A definition of a made-up source that signs the way Stripe does.
    static let billingCoDefinition = """
        source: billing-co
        version: 3
        signature: { scheme: stripe, header: X-BillingCo-Signature, tolerance_seconds: 120 }
        delivery_id: event_id
        event_type: kind
        events:
          payment.collected:
            emit: invoice_paid
            fields:
              invoice_id: invoice.number
              customer_id: invoice.account.id
              customer_email: invoice.account.email
              amount: invoice.collected_cents
              currency: invoice.currency
              paid_at: invoice.collected_at
        """

    @Test func aNewSourceWithAKnownSchemeIsOnlyANewDefinition() throws {
        let adapter = try AdapterCatalog.parseDefinition(Self.billingCoDefinition, file: "billing-co.yaml")
        #expect(adapter.source == "billing-co")
        #expect(adapter.version == 3)
        let body = Data(
            #"{"event_id":"bc_1","kind":"payment.collected","invoice":{"number":"INV-9","collected_cents":120000,"currency":"eur","collected_at":"2025-06-01T10:00:00Z","account":{"id":"acc_7","email":"it@harbor.example"}}}"#
                .utf8)
        let now = Date(timeIntervalSince1970: 1_748_772_000)
        let signed = HeaderValues(adapter.scheme.sign(body: body, secret: Secret("s3cret"), at: now))
        #expect(signed["x-billingco-signature"] != nil)
        #expect(try adapter.verify(body: body, headers: signed, secrets: [Secret("s3cret")], now: now).matchedSecretIndex == 0)
        #expect(adapter.identify(body) == DeliveryIdentity(vendorDeliveryID: "bc_1", eventType: "payment.collected", derived: false))
        let expected = BusinessEvent.invoicePaid(
            InvoicePaid(
                invoiceID: "INV-9", customer: CustomerReference(source: "billing-co", id: "acc_7", email: "it@harbor.example"),
                amountPaid: Money(minorUnits: 120_000, currency: CurrencyCode("EUR")!), paidAt: now))
        #expect(try adapter.map(body) == .mapped([expected]))
    }

    @Test func aDefinitionMissingARequiredFieldIsRefusedNamingTheField() {
        let broken = Self.billingCoDefinition.replacingOccurrences(of: "      amount: invoice.collected_cents\n", with: "")
        #expect(throws: AdapterDefinitionError(file: "b.yaml", field: "events.payment.collected.fields.amount", message: "required field is not mapped")) {
            try AdapterCatalog.parseDefinition(broken, file: "b.yaml")
        }
    }

    @Test func definitionErrorsNameTheFileAndField() {
        func error(_ text: String) -> AdapterDefinitionError? {
            do {
                _ = try AdapterCatalog.parseDefinition(text, file: "x.yaml")
                return nil
            } catch {
                return error
            }
        }
        let unknownScheme = error(Self.billingCoDefinition.replacingOccurrences(of: "scheme: stripe", with: "scheme: rot13"))
        #expect(unknownScheme?.field == "signature.scheme")
        #expect(unknownScheme?.file == "x.yaml")
        let unknownField = error(Self.billingCoDefinition.replacingOccurrences(of: "customer_email:", with: "customer_mail:"))
        #expect(unknownField?.field == "events.payment.collected.fields.customer_mail")
        let unknownKind = error(Self.billingCoDefinition.replacingOccurrences(of: "emit: invoice_paid", with: "emit: invoice_maybe_paid"))
        #expect(unknownKind?.field.hasPrefix("events.payment.collected.emit") == true)
        let badSource = error(Self.billingCoDefinition.replacingOccurrences(of: "source: billing-co", with: "source: Billing Co"))
        #expect(badSource?.field == "source")
        #expect(error("source: [") != nil)
    }

    @Test func theShippedDefinitionsLoad() throws {
        let catalog = try AdapterCatalog.load(directory: Repository.adapters)
        #expect(catalog.sources.contains("stripe"))
    }

    @Test func aBodyWithoutAnIDGetsADigestSoARetryIsStillStoredOnce() throws {
        let adapter = try #require(try AdapterCatalog.load(directory: Repository.adapters)["stripe"])
        let first = adapter.identify(Data("not json".utf8))
        #expect(first.derived)
        #expect(first.vendorDeliveryID.hasPrefix("sha256:"))
        #expect(adapter.identify(Data("not json".utf8)) == first)
        #expect(adapter.identify(Data("not json!".utf8)) != first)
    }
}
