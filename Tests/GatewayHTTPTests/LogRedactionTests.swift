import Foundation
import GatewayEngine
import GatewayRepositories
import GatewayAdapters
import GatewayHTTP
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

/// Keeps every log line, with its metadata, as text.
final class RecordingLogHandler: LogHandler, Sendable {
    let lines = Mutex<[String]>([])
    var metadata: Logger.Metadata {
        get { _metadata.withLock { $0 } }
        set { _metadata.withLock { $0 = newValue } }
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    private let _metadata = Mutex<Logger.Metadata>([:])

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.withLock { $0.append("\(event.level) \(event.message) \(all)") }
    }

    var text: String { lines.withLock { $0.joined(separator: "\n") } }
}

@Suite struct LogRedactionTests {
    @Test func neitherSecretsNorPayloadsReachTheLog() async throws {
        let recorder = RecordingLogHandler()
        let logger = Logger(label: "test", factory: { _ in recorder })
        let gateway = try TestGateway(logger: logger)
        let body = try TestGateway.fixture("stripe/invoice.paid.json")
        let garbage = Data(#"{"id":"evt_secretive","object":"event","type":"invoice.paid","data":{"object":{"customer_email":"ceo@private.example"}}}"#.utf8)
        try await gateway.application.test(.live) { client in
            // Stored, refused with a wrong secret, refused with a stale timestamp, stored and failed.
            try await client.execute(uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body), body: ByteBuffer(bytes: body)) { _ in }
            try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body, secret: Secret("whsec_wrongButSecret")),
                body: ByteBuffer(bytes: body)) { _ in }
            try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body, at: Date().addingTimeInterval(-900)),
                body: ByteBuffer(bytes: body)) { _ in }
            try await client.execute(uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(garbage), body: ByteBuffer(bytes: garbage)) { _ in }
            try await client.execute(uri: "/admin/partners", method: .get, headers: [.authorization: "Bearer guessed-admin-token"]) { _ in }
            try await gateway.processor.drain()
        }
        let log = recorder.text
        #expect(log.contains("webhook refused"), "the refusals should be logged at all")
        for forbidden in [
            TestGateway.stripeSecret.value, "whsec_wrongButSecret", TestGateway.adminToken.value, "guessed-admin-token",
            "ap@brightdental.example", "ceo@private.example", "Managed IT", "49900",
        ] {
            #expect(!log.contains(forbidden), "log contains \(forbidden)")
        }
    }
}
