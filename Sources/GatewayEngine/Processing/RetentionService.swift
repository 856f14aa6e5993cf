public import Foundation
public import GatewayRepositories
public import Logging
public import ServiceLifecycle

/// Prunes raw bodies of settled deliveries older than the retention period, once an hour.
public struct RetentionService: Service {
    /// Deliveries settled for good, whose bodies may go. Failed, retrying and dead deliveries keep
    /// theirs whatever their age: they are the ones a replay needs.
    public static let prunableStatuses: [DeliveryStatus] = [.processed, .ignored]

    private let store: any Repositories
    private let keep: TimeInterval
    private let interval: Duration
    private let logger: Logger

    /// - Parameter keepDays: how many days raw bodies of processed deliveries are kept.
    public init(store: any Repositories, keepDays: Int, interval: Duration = .seconds(3600), logger: Logger) {
        self.store = store
        self.keep = TimeInterval(max(1, keepDays)) * 86_400
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                // Once across the instances sharing the store.
                let pruned = try await store.exclusively("retention") { try await Self.prune(store, keepingSeconds: keep, at: Date()) }
                if let pruned, pruned > 0 { logger.info("raw bodies pruned", metadata: ["deliveries": "\(pruned)"]) }
            } catch {
                logger.warning("pruning raw bodies failed; retrying at the next interval", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }

    /// Removes the raw bodies of settled deliveries received more than `keep` seconds before `now`.
    /// - Returns: how many bodies were removed.
    @discardableResult
    public static func prune(_ store: any Repositories, keepingSeconds keep: TimeInterval, at now: Date) async throws -> Int {
        try await store.inbox.pruneBodies(of: prunableStatuses, receivedBefore: now.addingTimeInterval(-keep), at: now)
    }
}
