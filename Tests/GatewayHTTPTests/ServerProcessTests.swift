import AsyncHTTPClient
import Foundation
import GRDB
import GatewayAdapters
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
    static func start(dataDirectory: URL) throws -> (Process, Int) {
        let process = Process()
        process.executableURL = binary
        process.arguments = [
            "serve", "--port", "0", "--data-dir", dataDirectory.path,
            "--adapters-dir", TestGateway.root.appendingPathComponent("adapters").path,
        ]
        process.environment = ["GATEWAY_STRIPE_SECRETS": TestGateway.stripeSecret.value, "LOG_LEVEL": "info"]
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
}
