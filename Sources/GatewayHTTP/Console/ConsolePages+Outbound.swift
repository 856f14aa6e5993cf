import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayViews
import Hummingbird

/// The console's Outbound page: endpoints, their secrets (shown once), and the message log.
extension ConsolePages {
    struct OutboundView {
        struct EventType {
            var index: Int
            var type: String
            var checked: Bool
        }

        /// The add form as it was sent, after a refusal: the reason beside its field.
        struct AddForm {
            var url = ""
            var description = ""
            var urlError: String?
            var eventsError: String?
            var formError: String?
        }

        struct Endpoint {
            var id: Int64
            var url: String
            var description: String?
            var events: String
            var disabled: Bool
            var state: String
            var waiting, delivered, dead: Int
            var hasDead: Bool
            var secret: String
        }

        struct StatusOption {
            var value, label: String
            var selected: Bool
        }

        struct Message {
            var id: Int64
            var endpoint: Int64
            var type, eventID, status: String
            var attempts: Int
            var lastAttempt, nextAttempt, lastError: String
        }

        var eventTypes: [EventType]
        var addForm: AddForm
        var endpoints: [Endpoint]
        var statuses: [StatusOption]
        var messages: [Message]
    }

    struct WebhookSecretView {
        var heading: String
        var id: Int64
        var url: String
        var secret: String
        var previousUntil: String?
    }

    /// Endpoints with their state and counts, and the newest messages (of one status, if asked).
    func outbound(
        status: String?, notice: String?, refusal: ConsoleForm.Refusal? = nil, session: ConsoleSessionService.Session
    ) async throws -> Response {
        let webhooks = WebhookEndpointService(store: store)
        let status = status.flatMap { $0.isEmpty ? nil : $0 }
        let messages = try await webhooks.messages(statuses: status.map { [$0] } ?? [], limit: 100)
        let refused = refusal?.form == "endpoint" ? refusal : nil
        var addForm = OutboundView.AddForm(url: refused?.values["url"] ?? "", description: refused?.values["description"] ?? "")
        switch refused?.error.field {
        case "url": addForm.urlError = refused?.error.message
        case "events": addForm.eventsError = refused?.error.message
        default: addForm.formError = refused?.error.message
        }
        let ticked = Set(refused?.values.filter { $0.key.hasPrefix("event_") }.map(\.value) ?? [])
        let view = OutboundView(
            eventTypes: OutboundEventType.allCases.enumerated().map { .init(index: $0.offset, type: $0.element.rawValue, checked: ticked.contains($0.element.rawValue)) },
            addForm: addForm,
            endpoints: try await webhooks.endpoints().map { record in
                let endpoint = record.endpoint
                let state: String =
                    if let disabled = endpoint.disabledAt {
                        "disabled \(Self.moment(disabled)): \(endpoint.disabledReason ?? "")"
                    } else if let failing = endpoint.failingSince {
                        "failing since \(Self.moment(failing))"
                    } else {
                        "receiving"
                    }
                let previous = endpoint.previousSecretExpiresAt.flatMap { $0 > now() ? " (previous one signs until \(Self.moment($0)))" : nil }
                return .init(
                    id: endpoint.id.rawValue, url: endpoint.url, description: endpoint.description,
                    events: endpoint.eventTypes.isEmpty ? "every event" : endpoint.eventTypes.map(\.rawValue).joined(separator: ", "),
                    disabled: endpoint.disabledAt != nil, state: state, waiting: record.count(.pending) + record.count(.retrying),
                    delivered: record.count(.delivered), dead: record.count(.dead), hasDead: record.count(.dead) > 0,
                    secret: "made \(Self.moment(endpoint.secretCreatedAt))\(previous ?? "")")
            },
            statuses: [OutboundView.StatusOption(value: "", label: "any", selected: status == nil)]
                + OutboundMessageStatus.allCases.map { .init(value: $0.rawValue, label: $0.rawValue, selected: status == $0.rawValue) },
            messages: messages.map { message in
                .init(
                    id: message.id.rawValue, endpoint: message.endpointID.rawValue, type: message.eventType.rawValue, eventID: message.eventID,
                    status: message.status.rawValue, attempts: message.attempts, lastAttempt: message.lastAttemptAt.map(Self.moment) ?? "",
                    nextAttempt: message.nextAttemptAt.map(Self.moment) ?? "",
                    lastError: message.lastError ?? "")
            })
        let text: String? =
            switch notice {
            case "disabled": "Disabled: its messages wait until it is enabled."
            case "enabled": "Enabled: what waited is being sent, oldest first."
            case "removed": "Removed, with its message log."
            case let notice? where notice.hasPrefix("resent-"): "Queued again: \(notice.dropFirst("resent-".count)) message(s)."
            default: nil
            }
        var response = render("outbound", .init(title: "Outbound", csrf: session.csrf, notice: text), view)
        response.status = refused?.error.status ?? .ok
        return response
    }

    /// A secret just made, shown this once.
    func webhookSecret(_ issued: IssuedWebhookSecret, rotated: Bool, session: ConsoleSessionService.Session) -> Response {
        let endpoint = issued.endpoint
        let view = WebhookSecretView(
            heading: rotated ? "New secret for endpoint \(endpoint.id)" : "Endpoint \(endpoint.id) added", id: endpoint.id.rawValue, url: endpoint.url,
            secret: issued.secret, previousUntil: rotated ? endpoint.previousSecretExpiresAt.map(Self.moment) : nil)
        return render("webhookSecret", .init(title: "Webhook secret", csrf: session.csrf), view)
    }

    static func moment(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
