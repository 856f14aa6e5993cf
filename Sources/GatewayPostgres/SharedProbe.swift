import Synchronization

/// One direct connection attempt at a time, whose answer every caller asking meanwhile shares:
/// when the pool cannot connect, every waiting statement asks at once.
final class SharedProbe: Sendable {
    private let running = Mutex<Task<PostgresConnectFailure?, Never>?>(nil)

    func run(_ probe: @escaping @Sendable () async -> PostgresConnectFailure?) async -> PostgresConnectFailure? {
        let task = running.withLock { running in
            if let task = running { return task }
            let task = Task { await probe() }
            running = task
            return task
        }
        let answer = await task.value
        running.withLock { running in
            if running == task { running = nil }
        }
        return answer
    }
}
