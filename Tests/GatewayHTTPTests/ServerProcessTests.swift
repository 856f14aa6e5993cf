import AsyncHTTPClient
import Foundation
import GRDB
import GatewayAdapters
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayStore
import GatewayTestSupport
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `referral-gateway serve` process: acknowledged deliveries survive SIGKILL.
@Suite struct ServerProcessTests {
    /// The executable SwiftPM built beside this test bundle.
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("referral-gateway")

    /// Starts `serve` on an ephemeral port and returns the process and the port it bound.
    static func start(dataDirectory: URL) throws -> (ChildProcess, Int) {
        let process = ChildProcess()
        process.executableURL = binary
        process.arguments = [
            "serve", "--port", "0", "--data-dir", dataDirectory.path,
            "--adapters-dir", TestGateway.root.appendingPathComponent("adapters").path,
        ]
        process.environment = [
            "GATEWAY_STRIPE_SECRETS": TestGateway.stripeSecret.value, "GATEWAY_ADMIN_TOKEN": TestGateway.adminToken.value, "LOG_LEVEL": "info",
        ]
        let output = Pipe()
        process.standardError = output
        process.standardOutput = FileHandle.nullDevice
        try process.run()

        // The server logs "listening on 127.0.0.1:<port>" once it is bound.
        var seen = ""
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
            if let range = seen.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                let port = Int(seen[range].split(separator: ":").last!)!
                // Keep draining the server's log so it never blocks on a full pipe.
                output.fileHandleForReading.readabilityHandler = { handle in _ = handle.availableData }
                return (process, port)
            }
        }
        process.terminate()
        throw TestFailure("the server did not report its port; it printed: \(seen)")
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    @Test(.timeLimit(.minutes(2)))
    func everyAcknowledgedDeliveryIsInTheFileAfterTheServerIsKilled() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the executable first: swift build")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-kill-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (process, port) = try Self.start(dataDirectory: directory)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        let template = try String(contentsOf: TestGateway.root.appendingPathComponent("fixtures/stripe/invoice.paid.json"), encoding: .utf8)
        var acknowledged: [String] = []
        try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<40 {
                group.addTask {
                    let eventID = "evt_kill_\(index)"
                    let body = Data(template.replacingOccurrences(of: "evt_1RZq3LKx7aQ2mN0pV1eT9bYc", with: eventID).utf8)
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/webhooks/stripe")
                    request.method = .POST
                    for (name, value) in StripeSignatureScheme().sign(body: body, secret: TestGateway.stripeSecret, at: Date()) {
                        request.headers.add(name: name, value: value)
                    }
                    request.body = .bytes(ByteBuffer(bytes: body))
                    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                    return response.status.code == 200 ? eventID : nil
                }
            }
            for try await id in group {
                if let id { acknowledged.append(id) }
            }
        }
        #expect(acknowledged.count == 40)

        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        let file = directory.appendingPathComponent("gateway.sqlite").path
        let stored = try await DatabaseQueue(path: file).read { db in
            try String.fetchSet(db, sql: "SELECT vendor_delivery_id FROM delivery WHERE source = 'stripe'")
        }
        #expect(stored.isSuperset(of: acknowledged))
    }

    /// Sends `invoice.paid` for invoice `index` (and its `invoice.payment_succeeded` twin) signed now;
    /// returns the event ids that got a 200.
    static func send(invoices: Range<Int>, port: Int) async -> [String] {
        let template = (try? String(contentsOf: TestGateway.root.appendingPathComponent("fixtures/stripe/invoice.paid.json"), encoding: .utf8)) ?? ""
        return await withTaskGroup(of: String?.self) { group in
            for index in invoices {
                for type in ["invoice.paid", "invoice.payment_succeeded"] {
                    group.addTask {
                        let eventID = "evt_\(type == "invoice.paid" ? "p" : "s")_\(index)"
                        let body = Data(
                            template.replacingOccurrences(of: "evt_1RZq3LKx7aQ2mN0pV1eT9bYc", with: eventID)
                                .replacingOccurrences(of: "in_1RZq3HKx7aQ2mN0pXf4sLk2Q", with: "in_\(index)")
                                .replacingOccurrences(of: "\"type\": \"invoice.paid\"", with: "\"type\": \"\(type)\"").utf8)
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/webhooks/stripe")
                        request.method = .POST
                        for (name, value) in StripeSignatureScheme().sign(body: body, secret: TestGateway.stripeSecret, at: Date()) {
                            request.headers.add(name: name, value: value)
                        }
                        request.body = .bytes(ByteBuffer(bytes: body))
                        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(10)) else { return nil }
                        return response.status.code == 200 ? eventID : nil
                    }
                }
            }
            var acknowledged: [String] = []
            for await id in group {
                if let id { acknowledged.append(id) }
            }
            return acknowledged
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func killedWhileReceivingThenRestartedNothingAcknowledgedIsLostAndNothingAccruesTwice() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-crash-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            try await Stories.brightDental(ProgramService(store: try SQLiteStore(directory: directory, outboundEvents: OutboundEvents())))
        }

        // First run: killed while a burst is in flight.
        let (first, firstPort) = try Self.start(dataDirectory: directory)
        let burst = Task { await Self.send(invoices: 0..<60, port: firstPort) }
        try await Task.sleep(for: .milliseconds(150))
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let acknowledgedBeforeCrash = await burst.value

        // Second run: the vendor retries everything.
        let (second, secondPort) = try Self.start(dataDirectory: directory)
        defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
        let acknowledgedAfter = await Self.send(invoices: 0..<60, port: secondPort)
        #expect(acknowledgedAfter.count == 120, "every retry is answered 200, stored or duplicate")

        // Wait for the processor to finish (bounded).
        for _ in 0..<200 {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(secondPort)/admin/deliveries?status=stored,processing,retrying&limit=1")
            request.headers.add(name: "Authorization", value: "Bearer \(TestGateway.adminToken.value)")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            if String(buffer: body) == "[]" { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(second.processIdentifier, SIGKILL)
        second.waitUntilExit()

        let file = directory.appendingPathComponent("gateway.sqlite").path
        let (stored, accruals, keys) = try await DatabaseQueue(path: file).read { db in
            (
                try String.fetchSet(db, sql: "SELECT vendor_delivery_id FROM delivery"),
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM accrual WHERE state != 'voided'") ?? -1,
                try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT business_key) FROM accrual") ?? -1
            )
        }
        #expect(stored.isSuperset(of: acknowledgedBeforeCrash), "\(acknowledgedBeforeCrash.count) acknowledged before the kill")
        #expect(stored.count == 120)
        #expect(accruals == 60, "one accrual per invoice, whatever carried it and however often")
        #expect(keys == 60)
    }
}
