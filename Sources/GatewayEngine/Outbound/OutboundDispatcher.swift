public import AsyncHTTPClient
public import Foundation
import GatewayAdapters
import GatewayCore
public import GatewayRepositories
public import Logging
import NIOCore
import NIOHTTP1
public import ServiceLifecycle
import Synchronization

/// Sends the outbox's messages to their endpoints as a Standard Webhooks sender: each body signed
/// with the endpoint's secret (and a rotated-out one during its overlap) over `id.timestamp.body`,
/// the event's id as `webhook-id` on every attempt. An endpoint receives its messages in event
/// order: its next message waits until the one before is delivered or dead. A failed attempt is
/// retried on the schedule; an endpoint failing for `disableAfter` is disabled, with an alert.
///
/// Runs as a service: a write that queues messages wakes it, and it also looks on an interval
/// (the backstop, and how writes from another process, such as the CLI, are found).
public final class OutboundDispatcher: Service, Sendable {
    /// How the dispatcher retries, gives up and looks for work.
    public struct Configuration: Sendable {
        /// The waits before each retry: after the first failed attempt, `retryDelays[0]`; after the
        /// last, the message is dead. The default (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) makes
        /// 8 attempts over about 27.6 hours.
        public var retryDelays: [TimeInterval]
        /// An endpoint every attempt to which has failed for this long is disabled (5 days by default).
        public var disableAfter: TimeInterval
        /// How long one attempt may take before it counts as failed. (A receiver that refuses the
        /// connection takes all of it: the HTTP client keeps trying to connect until then.)
        public var requestTimeout: Duration
        /// How often it looks for due messages when nothing woke it.
        public var pollInterval: Duration
        /// How often it looks for what time alone changed (holds ended, windows closed).
        public var timePassingInterval: TimeInterval
        /// At most this many endpoints are sent to at once.
        public var concurrency: Int

        public static let defaultRetryDelays: [TimeInterval] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]

        public init(
            retryDelays: [TimeInterval] = Configuration.defaultRetryDelays, disableAfter: TimeInterval = 5 * 86_400,
            requestTimeout: Duration = .seconds(15), pollInterval: Duration = .seconds(5), timePassingInterval: TimeInterval = 60, concurrency: Int = 8
        ) {
            self.retryDelays = retryDelays
            self.disableAfter = disableAfter
            self.requestTimeout = requestTimeout
            self.pollInterval = pollInterval
            self.timePassingInterval = timePassingInterval
            self.concurrency = max(1, concurrency)
        }

        /// When to try again after `attempt` (1 for the first) failed at `now`; `nil` when it was the last.
        public func retryAt(afterAttempt attempt: Int, failedAt now: Date) -> Date? {
            guard attempt >= 1, attempt <= retryDelays.count else { return nil }
            return now.addingTimeInterval(retryDelays[attempt - 1])
        }

        /// The client every dispatcher needs: redirects are failures, not followed.
        public static var clientConfiguration: HTTPClient.Configuration {
            var configuration = HTTPClient.Configuration()
            configuration.redirectConfiguration = .disallow
            configuration.timeout = .init(connect: .seconds(10), read: .seconds(30))
            return configuration
        }
    }

    private let store: any Repositories
    private let client: HTTPClient
    private let configuration: Configuration
    private let now: @Sendable () -> Date
    private let observer: (any OutboundObserver)?
    private let logger: Logger
    private let scheme = StandardWebhooksSignatureScheme()
    private let wakeUps = Mutex<AsyncStream<Void>.Continuation?>(nil)
    private let lastTimeLook = Mutex<Date?>(nil)
    private let passes = SerialPasses()

    /// - Parameter client: should not follow redirects (`Configuration.clientConfiguration`).
    public init(
        store: any Repositories, client: HTTPClient, configuration: Configuration = Configuration(), now: @escaping @Sendable () -> Date = { Date() },
        observer: (any OutboundObserver)? = nil, logger: Logger
    ) {
        self.store = store
        self.client = client
        self.configuration = configuration
        self.now = now
        self.observer = observer
        self.logger = logger
    }

    /// Asks the dispatcher to look for due messages now.
    public func wake() {
        _ = wakeUps.withLock { $0?.yield() }
    }

    public func run() async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        wakeUps.withLock { $0 = continuation }
        let queued = store.outbox.queueChanges()
        let watcher = Task {
            for await _ in queued { continuation.yield() }
        }
        let ticker = Task { [pollInterval = configuration.pollInterval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: pollInterval)
                continuation.yield()
            }
        }
        defer {
            watcher.cancel()
            ticker.cancel()
            continuation.finish()
        }
        continuation.yield()
        for await _ in stream.cancelOnGracefulShutdown() {
            do {
                let date = now()
                let due = lastTimeLook.withLock { last in
                    guard last.map({ date.timeIntervalSince($0) >= configuration.timePassingInterval }) ?? true else { return false }
                    last = date
                    return true
                }
                if due { try await store.outbox.announceTimePassing(at: date) }
                try await dispatchDue()
            } catch {
                logger.error("outbound pass failed; the messages stay queued and are tried again", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Appends the events time alone made since the last look (holds ended, windows closed).
    public func announceTimePassing() async throws {
        try await store.outbox.announceTimePassing(at: now())
    }

    /// Sends every message due now, each endpoint's in order, until none is due; returns how many
    /// attempts it made. Passes never overlap, so a caller that awaits this knows nothing was due
    /// when it returned.
    @discardableResult
    public func dispatchDue() async throws -> Int {
        try await passes.run { try await self.sendAllDue() }
    }

    private func sendAllDue() async throws -> Int {
        var attempts = 0
        while true {
            // One message per endpoint at most (each endpoint's oldest), so sending them together
            // keeps every endpoint's order.
            let due = try await store.outbox.dueDispatches(at: now(), limit: configuration.concurrency)
            if due.isEmpty { return attempts }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for dispatch in due { group.addTask { try await self.attempt(dispatch) } }
                try await group.waitForAll()
            }
            attempts += due.count
        }
    }

    /// One attempt: sign, post, record what happened.
    private func attempt(_ dispatch: OutboundDispatch) async throws {
        let sentAt = now()
        let result: OutboundAttemptResult
        let attempt = dispatch.message.attempts + 1
        switch await post(dispatch, at: sentAt) {
        case .success(let status) where (200..<300).contains(status):
            result = .delivered(statusCode: status)
        case .success(let status):
            result = .failed(statusCode: status, error: "HTTP \(status)", retryAt: configuration.retryAt(afterAttempt: attempt, failedAt: now()))
        case .failure(let reason):
            result = .failed(statusCode: nil, error: reason, retryAt: configuration.retryAt(afterAttempt: attempt, failedAt: now()))
        }
        let recordedAt = now()
        let recorded = try await store.outbox.recordAttempt(
            dispatch.message.id, result: result, disableIfFailingSince: recordedAt.addingTimeInterval(-configuration.disableAfter), at: recordedAt)
        let metadata: Logger.Metadata = [
            "message": "\(dispatch.message.id)", "event": "\(dispatch.message.eventID)", "type": "\(dispatch.message.eventType.rawValue)",
            "endpoint": "\(dispatch.message.endpointID)", "attempt": "\(attempt)",
        ]
        switch result {
        case .delivered:
            observer?.attempted(endpoint: dispatch.message.endpointID, outcome: "delivered")
            logger.debug("webhook delivered", metadata: metadata)
        case .failed(_, let error, let retryAt):
            observer?.attempted(endpoint: dispatch.message.endpointID, outcome: retryAt == nil ? "dead" : "failed")
            var details = metadata
            details["error"] = "\(error)"
            details["retry_at"] = "\(retryAt?.formatted(.iso8601) ?? "never: dead")"
            logger.warning(retryAt == nil ? "webhook message dead after its last attempt" : "webhook attempt failed", metadata: details)
        }
        if recorded.endpointDisabled {
            observer?.endpointDisabled(dispatch.message.endpointID)
            // The admin's alert: logged, and shown on every console page until it is enabled again.
            logger.error(
                "webhook endpoint disabled: every attempt to it has failed for \(DurationText.text(configuration.disableAfter)); enable it once it is fixed",
                metadata: [
                    "endpoint": "\(dispatch.message.endpointID)", "host": "\(URL(string: dispatch.url)?.host ?? "-")",
                    "failing_since": "\(recorded.failingSince?.formatted(.iso8601) ?? "-")",
                ])
        }
    }

    private enum PostOutcome {
        case success(Int)
        case failure(String)
    }

    /// Posts the body, signed now. The receiver's answer is read (up to 64 KiB) and dropped.
    private func post(_ dispatch: OutboundDispatch, at date: Date) async -> PostOutcome {
        var request = HTTPClientRequest(url: dispatch.url)
        request.method = .POST
        for (name, value) in signatureHeaders(dispatch, at: date) { request.headers.add(name: name, value: value) }
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "referral-gateway-webhooks/1")
        request.body = .bytes(ByteBuffer(bytes: dispatch.payload))
        do {
            let (seconds, attoseconds) = configuration.requestTimeout.components
            let response = try await client.execute(request, timeout: .nanoseconds(max(1_000_000, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)))
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return .success(Int(response.status.code))
        } catch {
            return .failure(String("\(error)".prefix(300)))
        }
    }

    /// `webhook-id`, `webhook-timestamp`, and `webhook-signature` with one `v1,` signature per
    /// secret that signs now (space-separated, the current secret's first).
    func signatureHeaders(_ dispatch: OutboundDispatch, at date: Date) -> [(String, String)] {
        var headers: [(String, String)] = []
        var signatures: [String] = []
        for secret in dispatch.signingSecrets {
            let signed = scheme.sign(body: dispatch.payload, secret: Secret(secret), id: dispatch.message.eventID, at: date)
            if headers.isEmpty { headers = signed.filter { $0.name != "webhook-signature" }.map { ($0.name, $0.value) } }
            signatures += signed.filter { $0.name == "webhook-signature" }.map(\.value)
        }
        return headers + [("webhook-signature", signatures.joined(separator: " "))]
    }
}
