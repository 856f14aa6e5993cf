public import Foundation
import GatewayCore
public import GatewayRepositories
public import Logging
public import ServiceLifecycle

/// Watches the sources that declared a cadence (`GATEWAY_<SOURCE>_SILENT_AFTER`): a source whose
/// last stored delivery is older than its cadence raises an alert, once per silence, which writes
/// `source.silent` to the outbox and shows on every console page; the alert clears when the
/// source's deliveries resume. This is how a vendor that quietly stopped sending (Autotask
/// disables a callout after 25 failures) is noticed.
public final class SourceSilenceMonitor: Service, Sendable {
    /// What to watch, built from the environment in `main`.
    public struct Configuration: Sendable {
        /// The longest each source may stay quiet, in seconds, by source name.
        public var silentAfter: [String: TimeInterval]
        /// How often the sources are checked.
        public var checkInterval: Duration

        public init(silentAfter: [String: TimeInterval], checkInterval: Duration = .seconds(60)) {
            self.silentAfter = silentAfter
            self.checkInterval = checkInterval
        }
    }

    private let store: any Repositories
    private let configuration: Configuration
    private let now: @Sendable () -> Date
    private let observer: (any SilenceObserver)?
    private let logger: Logger

    public init(
        store: any Repositories, configuration: Configuration, now: @escaping @Sendable () -> Date = { Date() }, observer: (any SilenceObserver)? = nil,
        logger: Logger
    ) {
        self.store = store
        self.configuration = configuration
        self.now = now
        self.observer = observer
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await check()
            } catch {
                logger.error("silence check failed; it runs again", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.configuration.checkInterval) }
        }
    }

    /// Looks at every watched source once: raises the alert of a source quiet for too long (once
    /// per silence) and clears the alert of one that sent again.
    public func check() async throws {
        let date = now()
        let sources = configuration.silentAfter.keys.sorted()
        for activity in try await store.outbox.watch(sources: sources, at: date) {
            guard let silentAfter = configuration.silentAfter[activity.source] else { continue }
            let quietSince = activity.lastDeliveryAt ?? activity.watchedSince
            let quiet = date.timeIntervalSince(quietSince)
            let silent = quiet > silentAfter
            observer?.sourceActivity(activity.source, silent: silent, quietSeconds: max(0, quiet))
            let metadata: Logger.Metadata = [
                "source": "\(activity.source)", "quiet_since": "\(quietSince.formatted(.iso8601))", "silent_after": "\(DurationText.text(silentAfter))",
            ]
            if silent, activity.silence == nil {
                let silence = SourceSilence(
                    source: activity.source, lastDeliveryAt: activity.lastDeliveryAt, quietSince: quietSince, silentAfter: silentAfter, raisedAt: date)
                if try await store.outbox.raiseSilence(silence) {
                    logger.warning("source is silent: no delivery for longer than its cadence; check its webhook at the vendor", metadata: metadata)
                }
            } else if !silent, activity.silence != nil {
                if try await store.outbox.clearSilence(source: activity.source, at: date) {
                    logger.notice("source sends again; its silence alert is cleared", metadata: metadata)
                }
            }
        }
        // A source no longer watched keeps no alert.
        for silence in try await store.outbox.silences() where configuration.silentAfter[silence.source] == nil {
            try await store.outbox.clearSilence(source: silence.source, at: date)
        }
    }
}
