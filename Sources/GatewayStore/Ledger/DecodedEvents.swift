import GatewayCore
import GatewayRepositories
import Synchronization

/// Stored event payloads decoded once per process. Every recomputation reads the referred
/// customers' events back; without this it decoded the same JSON again each batch. Keyed by the
/// payload text itself, so an entry can never disagree with what is stored; bounded, and emptied
/// when full.
final class DecodedEvents: Sendable {
    static let shared = DecodedEvents(limit: 25_000)

    private let limit: Int
    private let events = Mutex<[String: BusinessEvent]>([:])

    init(limit: Int) {
        self.limit = limit
    }

    func event(_ payload: String) throws -> BusinessEvent {
        if let event = events.withLock({ $0[payload] }) { return event }
        let event = try ColumnJSON.value(BusinessEvent.self, from: payload)
        events.withLock { events in
            if events.count >= limit { events.removeAll(keepingCapacity: true) }
            events[payload] = event
        }
        return event
    }
}
