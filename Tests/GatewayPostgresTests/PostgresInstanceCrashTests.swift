import Foundation
import GatewayCore
import GatewayEngine
@testable import GatewayPostgres
import GatewayRepositories
import GatewayTestSupport
import PostgresNIO
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Two real `serve` processes on one PostgreSQL schema, one of them SIGKILLed in the middle of a
/// burst and started again, while a vendor re-sends what was not acknowledged to the other one.
@Suite(PostgresTestDatabase.enabled) struct PostgresInstanceCrashTests {
    typealias Instance = PostgresServeProcessTests

    @Test(.timeLimit(.minutes(5)))
    func anInstanceKilledMidBurstLosesNothingAcknowledgedAndEveryInvoiceAccruesOnce() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Instance.binary.path), "build the executable first: swift build")
        let url = try #require(PostgresTestDatabase.url)
        try await PostgresTestDatabase.withFreshSchema { database in
            // Bright Dental's referral: every invoice paid for it accrues 10 % to Acme Accounting.
            try await Stories.brightDental(ProgramService(store: PostgresStore(database: database, outboundEvents: OutboundEvents())))
            let instanceURL = try Instance.instanceURL(url, of: database)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-pg-crash-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            // A short lease, so the killed instance's claims are taken over within the test.
            let lease = 3
            let environment = ["GATEWAY_PROCESSING_LEASE_SECONDS": "\(lease)"]
            var (first, firstPort) = try await Instance.start(
                database: instanceURL, dataDirectory: directory.appendingPathComponent("one"), environment: environment)
            defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
            let (second, secondPort) = try await Instance.start(
                database: instanceURL, dataDirectory: directory.appendingPathComponent("two"), environment: environment)
            defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }

            // 200 invoices, each announced twice as Stripe does (`invoice.paid` and
            // `invoice.payment_succeeded`: two deliveries, one payment).
            let deliveries = (0..<200).flatMap { index in
                ["invoice.paid", "invoice.payment_succeeded"].map { type in
                    RetryingVendor.Delivery(eventID: "evt_\(type == "invoice.paid" ? "p" : "s")_crash_\(index)", invoice: "in_crash_\(index)", type: type)
                }
            }
            let vendor = RetryingVendor(ports: [firstPort, secondPort])
            let burst = Task {
                await vendor.send(deliveries) { delivery, port in
                    try await Instance.send(delivery.eventID, invoice: delivery.invoice, type: delivery.type, to: port, timeout: 15)
                }
            }
            // Mid-burst: the first instance dies without a word, and is started again.
            let started = Date()
            while vendor.acknowledged < 120, Date().timeIntervalSince(started) < 120 { try await Task.sleep(for: .milliseconds(20)) }
            kill(first.processIdentifier, SIGKILL)
            first.waitUntilExit()
            let acknowledgedBeforeKill = vendor.acknowledged
            (first, firstPort) = try await Instance.start(
                database: instanceURL, dataDirectory: directory.appendingPathComponent("one"), environment: environment)
            vendor.replace(instance: 0, port: firstPort)
            let outcomes = await burst.value

            #expect(acknowledgedBeforeKill < deliveries.count, "the kill came mid-burst")
            #expect(outcomes.allSatisfy { $0.acknowledged }, "the vendor's retries got every delivery acknowledged")
            #expect(outcomes.contains { $0.answers.count > 1 }, "some deliveries were sent again after a failed request")

            // The instances (the restarted one included) settle everything, the dead one's claims
            // once their lease has run out.
            let inbox = PostgresDeliveryInbox(database: database)
            let deadline = Date().addingTimeInterval(90)
            while try await inbox.countAwaitingProcessing() > 0, Date() < deadline { try await Task.sleep(for: .milliseconds(250)) }

            // Every acknowledged delivery is stored, once.
            var stored: [String: Int] = [:]
            for row in try await database.rows("SELECT vendor_delivery_id, duplicate_count FROM delivery WHERE source = 'stripe'") {
                let (id, duplicates) = try row.decode((String, Int).self)
                #expect(stored.updateValue(duplicates, forKey: id) == nil, "\(id) stored twice")
            }
            #expect(Set(stored.keys) == Set(outcomes.filter { $0.acknowledged }.map(\.delivery.eventID)))
            for outcome in outcomes where outcome.acknowledgements > 1 {
                #expect((stored[outcome.delivery.eventID] ?? 0) >= outcome.acknowledgements - 1, "each 2xx after the first answered a duplicate")
            }

            // Nothing is left claimed, and each delivery was settled.
            let states = try await database.rows("SELECT status, lease_until IS NOT NULL, COUNT(*) FROM delivery GROUP BY 1, 2")
                .map { try $0.decode((String, Bool, Int).self) }
            #expect(states.count == 1 && states.first?.0 == "processed" && states.first?.1 == false && states.first?.2 == deliveries.count, "\(states)")

            // Each invoice accrued exactly once, whichever delivery, instance or retry carried it.
            let lines = try await database.rows("SELECT business_key, COUNT(*), SUM(amount_minor)::BIGINT FROM accrual GROUP BY business_key")
                .map { try $0.decode((String, Int, Int).self) }
            #expect(lines.count == 200, "one business key per invoice")
            #expect(lines.allSatisfy { $0.1 == 1 }, "\(lines.filter { $0.1 != 1 })")
            #expect(lines.allSatisfy { $0.2 == 4_990 }, "10 % of 499.00 each")

            first.terminate()
            second.terminate()
            first.waitUntilExit()
            second.waitUntilExit()
        }
    }
}
