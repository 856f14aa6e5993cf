import Foundation
import Synchronization

/// A vendor sending deliveries to gateway instances behind a load balancer: each delivery goes
/// first to one instance (spread by its position), and one whose request failed or was answered
/// other than 2xx is sent again, to the next instance, until one answers 2xx or the vendor gives up.
final class RetryingVendor: Sendable {
    /// One Stripe event: `type` is `invoice.paid` or its twin `invoice.payment_succeeded`.
    struct Delivery: Sendable, Hashable {
        var eventID: String
        var invoice: String
        var type = "invoice.paid"
    }

    /// What the gateway answered each time a delivery was sent: a status, or nil when the request
    /// itself failed (refused, reset, timed out).
    struct Outcome: Sendable {
        var delivery: Delivery
        var answers: [UInt?]

        var acknowledged: Bool { answers.contains { $0.map { (200..<300).contains($0) } ?? false } }
        /// How many times a 2xx was answered (a vendor retry after a lost answer gets a second one).
        var acknowledgements: Int { answers.filter { $0.map { (200..<300).contains($0) } ?? false }.count }
    }

    private let ports: Mutex<[Int]>
    private let acknowledgedSoFar = Atomic<Int>(0)
    private let pause: Duration

    /// - Parameters:
    ///   - ports: the instances' ports, in order.
    ///   - pause: how long the vendor waits before sending a delivery again.
    init(ports: [Int], pause: Duration = .milliseconds(100)) {
        self.ports = Mutex(ports)
        self.pause = pause
    }

    /// Points the vendor at instance `index`'s new port (a restarted instance binds a new one).
    func replace(instance index: Int, port: Int) {
        ports.withLock { $0[index] = port }
    }

    /// How many deliveries have been acknowledged so far, while `send` runs.
    var acknowledged: Int { acknowledgedSoFar.load(ordering: .relaxed) }

    /// Sends every delivery, `concurrency` at a time, each until it is acknowledged or `giveUpAfter`
    /// has passed since the burst began; returns what each was answered, in the order given.
    func send(
        _ deliveries: [Delivery], concurrency: Int = 8, giveUpAfter: Duration = .seconds(120),
        with post: @escaping @Sendable (Delivery, Int) async throws -> UInt
    ) async -> [Outcome] {
        let cursor = Cursor()
        let deadline = ContinuousClock.now + giveUpAfter
        return await withTaskGroup(of: [(Int, Outcome)].self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var done: [(Int, Outcome)] = []
                    while true {
                        let index = cursor.take()
                        guard index < deliveries.count else { return done }
                        var outcome = Outcome(delivery: deliveries[index], answers: [])
                        var target = index
                        while ContinuousClock.now < deadline {
                            let port = self.ports.withLock { $0[target % $0.count] }
                            outcome.answers.append(try? await post(deliveries[index], port))
                            if outcome.acknowledged {
                                self.acknowledgedSoFar.add(1, ordering: .relaxed)
                                break
                            }
                            target += 1
                            try? await Task.sleep(for: self.pause)
                        }
                        done.append((index, outcome))
                    }
                }
            }
            var all: [(Int, Outcome)] = []
            for await done in group { all += done }
            return all.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// Hands out the deliveries' positions, each once, to the concurrent senders.
    private final class Cursor: Sendable {
        private let next = Atomic<Int>(0)

        func take() -> Int { next.add(1, ordering: .relaxed).oldValue }
    }
}
