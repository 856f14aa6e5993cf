import Benchmark
import BenchmarkInputs
import Foundation
import GatewayAdapters
import GatewayCore

/// Signature checks as ingest runs them: once per delivery, on the raw bytes, through the adapter
/// loaded from `adapters/`. The body is the `invoice.paid` of the end-to-end benchmark (1,763 bytes);
/// Autotask's is its `company.create` fixture (237 bytes). Times are per verification.
let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(2))

    func adapter(_ source: String) -> Adapter {
        do {
            return try AdapterCatalog.parseDefinition(Repository.definition(source), file: "\(source).yaml")
        } catch {
            fatalError("\(error)")
        }
    }

    let body = StripeInvoice.paid()
    let now = StripeInvoice.receivedAt

    // Stripe: `t=…,v1=…` over `t.body`, as the Stripe adapter is configured.
    let stripe = adapter("stripe")
    let secret = Secret("whsec_5f2a8c1e9b7d4a6f3e0c2b1a9d8e7f6c")
    let previous = Secret("whsec_0a1b2c3d4e5f60718293a4b5c6d7e8f9")
    let stripeHeaders = HeaderValues(
        stripe.scheme.sign(body: body, secret: secret, at: StripeInvoice.signedAt)
            + [("Content-Type", "application/json; charset=utf-8"), ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")])
    precondition((try? stripe.verify(body: body, headers: stripeHeaders, secrets: [secret], now: now)) != nil, "the Stripe signature does not verify")

    Benchmark("Stripe: verify invoice.paid", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try stripe.verify(body: body, headers: stripeHeaders, secrets: [secret], now: now))
        }
    }

    // During a secret roll both secrets are configured; the new one is listed first, so a
    // delivery still signed with the old one costs two HMACs.
    Benchmark("Stripe: verify during a secret roll (2 secrets, old one matches)", configuration: configuration) { benchmark in
        let oldHeaders = HeaderValues(stripe.scheme.sign(body: body, secret: previous, at: StripeInvoice.signedAt))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try stripe.verify(body: body, headers: oldHeaders, secrets: [secret, previous], now: now))
        }
    }

    // Plain HMAC of the body (QuickBooks: intuit-signature, SHA-256, base64), same body.
    let quickbooks = adapter("quickbooks")
    let intuitSecret = Secret("7c5e1b2f-3a4d-4e8f-9b6a-0c1d2e3f4a5b")
    let quickbooksHeaders = HeaderValues(quickbooks.scheme.sign(body: body, secret: intuitSecret, at: now))
    precondition((try? quickbooks.verify(body: body, headers: quickbooksHeaders, secrets: [intuitSecret], now: now)) != nil)

    Benchmark("HMAC body SHA-256 (QuickBooks): verify invoice.paid", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try quickbooks.verify(body: body, headers: quickbooksHeaders, secrets: [intuitSecret], now: now))
        }
    }

    // Plain HMAC of the body (Autotask: X-Hook-Signature: sha1=…), on a real Autotask payload.
    let autotask = adapter("autotask")
    let autotaskBody = Repository.fixture("autotask", "company.create.json")
    let autotaskSecret = Secret("autotask-webhook-secret-0123456789")
    let autotaskHeaders = HeaderValues(autotask.scheme.sign(body: autotaskBody, secret: autotaskSecret, at: now))
    precondition((try? autotask.verify(body: autotaskBody, headers: autotaskHeaders, secrets: [autotaskSecret], now: now)) != nil)

    Benchmark("HMAC body SHA-1 (Autotask): verify company.create", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try autotask.verify(body: autotaskBody, headers: autotaskHeaders, secrets: [autotaskSecret], now: now))
        }
    }
}
