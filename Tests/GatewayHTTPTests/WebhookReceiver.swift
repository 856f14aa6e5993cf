import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// A loopback endpoint that receives the gateway's outbound events and checks each one the way
/// the Standard Webhooks libraries do, written here from the spec rather than with the gateway's
/// own scheme: `webhook-id`, `webhook-timestamp` within five minutes of its clock, and a `v1,`
/// entry in `webhook-signature` equal to base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>")), the
/// key being the base64-decoded part of the secret after `whsec_`. It answers with the statuses
/// it is told to, then 200.
final class WebhookReceiver: Sendable {
    /// One request as it arrived, and what checking it found.
    struct Received: Sendable {
        var id: String?
        var timestamp: String?
        var signatureHeader: String?
        var contentType: String?
        var body: Data
        /// For each of `secrets`, whether one of the request's signatures verifies with it.
        var verifiedWith: [Bool]
        /// The answer it was given.
        var answered: Int

        /// Verified by at least one secret, within the tolerance.
        var verified: Bool { verifiedWith.contains(true) }

        var type: String? {
            (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["type"] as? String
        }
    }

    struct State {
        var secrets: [String] = []
        /// The next requests are answered with these statuses, one each, then 200.
        var answers: [Int] = []
        var received: [Received] = []
    }

    let state = Mutex(State())
    /// The receiver's clock (the gateway's, in tests that move it by hand).
    let now: @Sendable () -> Date

    init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    var received: [Received] { state.withLock { $0.received } }
    var secrets: [String] { state.withLock { $0.secrets } }

    func verify(with secrets: [String]) { state.withLock { $0.secrets = secrets } }
    func answer(_ statuses: [Int]) { state.withLock { $0.answers = statuses } }

    var application: some ApplicationProtocol {
        let router = Router()
        router.post("/hooks") { request, _ -> Response in
            let body = Data((try await request.body.collect(upTo: 1 << 20)).readableBytesView)
            let id = request.headers[HTTPField.Name("webhook-id")!]
            let timestamp = request.headers[HTTPField.Name("webhook-timestamp")!]
            let signature = request.headers[HTTPField.Name("webhook-signature")!]
            let status = self.state.withLock { state -> Int in
                let verdicts = state.secrets.map { Self.verifies(id: id, timestamp: timestamp, signatures: signature, body: body, secret: $0, now: self.now()) }
                let answer = state.answers.isEmpty ? 200 : state.answers.removeFirst()
                state.received.append(
                    Received(
                        id: id, timestamp: timestamp, signatureHeader: signature, contentType: request.headers[.contentType], body: body,
                        verifiedWith: verdicts, answered: answer))
                return answer
            }
            return Response(status: .init(code: status))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// The Standard Webhooks check, step by step as the reference libraries do it.
    static func verifies(id: String?, timestamp: String?, signatures: String?, body: Data, secret: String, now: Date) -> Bool {
        guard let id, let timestamp, let signatures, let seconds = Int64(timestamp) else { return false }
        guard abs(now.timeIntervalSince1970 - Double(seconds)) <= 300 else { return false }
        guard secret.hasPrefix("whsec_"), let key = Data(base64Encoded: String(secret.dropFirst("whsec_".count))) else { return false }
        let signed = Data("\(id).\(timestamp).".utf8) + body
        let expected = "v1," + Data(HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key))).base64EncodedString()
        return signatures.split(separator: " ").contains { $0 == expected }
    }
}
