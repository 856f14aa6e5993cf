import Benchmark
import BenchmarkInputs
import Foundation
import GatewayAdapters
import GatewayCore

/// A Stripe invoice through the real adapter: `adapters/stripe.yaml` loaded and checked as the
/// gateway loads it, the delivery identified as ingest does, and the body mapped to business
/// events as the processor does. Bodies: the compact `invoice.paid` of the end-to-end benchmark
/// (1,763 bytes) and the pretty-printed fixtures (basil 2,875 bytes, pre-basil 3,522 bytes).
/// Times are per body.
let benchmarks: @Sendable () -> Void = {
    let fast = Benchmark.Configuration(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(2))
    let slow = Benchmark.Configuration(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(3))

    let definition = Repository.definition("stripe")
    let stripe: Adapter
    do {
        stripe = try AdapterCatalog.parseDefinition(definition, file: "stripe.yaml")
    } catch {
        fatalError("\(error)")
    }

    /// Stops the suite unless `body` maps to exactly one invoice paid, so a mapping that starts
    /// failing or ignoring cannot pass for a fast one.
    func checkMapsToOneInvoice(_ body: Data) {
        guard case .mapped(let events)? = try? stripe.map(body), events.count == 1, case .invoicePaid = events[0] else {
            fatalError("the body does not map to one invoice paid: \(String(describing: try? stripe.map(body)))")
        }
    }

    Benchmark("stripe.yaml: parse and check the definition", configuration: .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(2)))
    { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try AdapterCatalog.parseDefinition(definition, file: "stripe.yaml"))
        }
    }

    // Ingest: the delivery id and event type, read from the top-level members only.
    let compact = StripeInvoice.paid()
    precondition(stripe.identify(compact) == DeliveryIdentity(vendorDeliveryID: "evt_1RZq3LKx7aQ2mN0pV1eT9bYc", eventType: "invoice.paid", derived: false))
    Benchmark("Stripe: identify invoice.paid at ingest", configuration: fast) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(stripe.identify(compact))
        }
    }

    // Processing: the whole body to business events, and the JSON parse alone (its share).
    Benchmark("Stripe: parse invoice.paid to JSONValue (compact)", configuration: slow) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try JSONValue.parse(compact))
        }
    }

    checkMapsToOneInvoice(compact)
    Benchmark("Stripe: map invoice.paid (compact)", configuration: slow) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try stripe.map(compact))
        }
    }

    let basil = Repository.fixture("stripe", "invoice.paid.json")
    checkMapsToOneInvoice(basil)
    Benchmark("Stripe: map fixtures/stripe/invoice.paid.json (basil)", configuration: slow) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try stripe.map(basil))
        }
    }

    let preBasil = Repository.fixture("stripe", "invoice.paid.pre-basil.json")
    checkMapsToOneInvoice(preBasil)
    Benchmark("Stripe: map fixtures/stripe/invoice.paid.pre-basil.json", configuration: slow) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try stripe.map(preBasil))
        }
    }
}
