import ArgumentParser
import AsyncHTTPClient
import BenchmarkInputs
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// Sends distinct, correctly signed Stripe `invoice.paid` deliveries (or plain bodies to the
/// baseline endpoint) over a fixed number of connections for a fixed time, and prints what it saw.
@main
struct GatewayLoad: AsyncParsableCommand {
    @Option(help: "Target URL, e.g. http://127.0.0.1:8080/webhooks/stripe or …/bench/baseline.") var url: String
    @Option(help: "Stripe signing secret.") var secret: String = "whsec_benchmark"
    @Option(help: "Concurrent connections.") var connections: Int = 32
    @Option(help: "Seconds to run.") var duration: Int = 20
    @Option(help: "A label for this run in the output.") var label: String = "run"
    @Option(help: "File to append the acknowledged event ids to.") var acknowledged: String?
    @Option(help: "Customers to spread invoices over (one in \\(10) is the referred Bright Dental).") var customers: Int = 1000

    func run() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let deadline = ContinuousClock.now + .seconds(duration)
        let started = ContinuousClock.now
        let key = SymmetricKey(data: Data(secret.utf8))
        let run = UUID().uuidString.prefix(8)

        let results = await withTaskGroup(of: WorkerResult.self) { group in
            for worker in 0..<connections {
                group.addTask {
                    var result = WorkerResult()
                    var sequence = 0
                    while ContinuousClock.now < deadline {
                        sequence += 1
                        let eventID = "evt_\(run)_\(worker)_\(sequence)"
                        let body = StripeInvoice.paid(eventID: eventID, invoice: "in_\(run)_\(worker)_\(sequence)", customer: (worker * 7919 + sequence) % customers)
                        var request = HTTPClientRequest(url: url)
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        let timestamp = Int(Date().timeIntervalSince1970)
                        var mac = HMAC<SHA256>(key: key)
                        mac.update(data: Data("\(timestamp).".utf8))
                        mac.update(data: body)
                        let signature = mac.finalize().map { String(format: "%02x", $0) }.joined()
                        request.headers.add(name: "Stripe-Signature", value: "t=\(timestamp),v1=\(signature)")
                        request.body = .bytes(ByteBuffer(bytes: body))
                        let sent = ContinuousClock.now
                        do {
                            let response = try await client.execute(request, timeout: .seconds(30))
                            _ = try await response.body.collect(upTo: 1 << 16)
                            result.latencies.append(ContinuousClock.now - sent)
                            if (200..<300).contains(response.status.code) {
                                result.ok += 1
                                result.acknowledged.append(eventID)
                            } else {
                                result.rejected += 1
                            }
                        } catch {
                            result.errors += 1
                        }
                    }
                    return result
                }
            }
            var all = WorkerResult()
            for await result in group { all.merge(result) }
            return all
        }
        let elapsed = ContinuousClock.now - started
        try await client.shutdown()

        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let sorted = results.latencies.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let value = sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
            return (Double(value.components.seconds) + Double(value.components.attoseconds) / 1e18) * 1000
        }
        let total = results.ok + results.rejected + results.errors
        print(
            String(
                format: "%@: requests=%d ok=%d non2xx=%d errors=%d seconds=%.1f rps=%.0f p50_ms=%.2f p99_ms=%.2f",
                label, total, results.ok, results.rejected, results.errors, seconds, Double(results.ok) / seconds, percentile(0.5),
                percentile(0.99)))
        if let acknowledged {
            try results.acknowledged.joined(separator: "\n").appending("\n").write(toFile: acknowledged, atomically: true, encoding: .utf8)
        }
    }

    struct WorkerResult: Sendable {
        var ok = 0
        var rejected = 0
        var errors = 0
        var latencies: [Duration] = []
        var acknowledged: [String] = []

        mutating func merge(_ other: WorkerResult) {
            ok += other.ok
            rejected += other.rejected
            errors += other.errors
            latencies += other.latencies
            acknowledged += other.acknowledged
        }
    }
}
