import Foundation
import Synchronization

/// A clock tests move by hand, for retries, leases and holds.
final class ManualClock: Sendable {
    private let current: Mutex<Date>

    init(start: Date) {
        current = Mutex(start)
    }

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}
