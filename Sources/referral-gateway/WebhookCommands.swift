import ArgumentParser
import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories

/// `referral-gateway webhooks endpoints|messages`: outbound events, the same operations as
/// `/admin/webhook-endpoints` and the console's Outbound page. The running server sends what these
/// commands queue (it finds it within seconds).
struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks", abstract: "Endpoints that receive outbound events, and their message log.",
        subcommands: [Endpoints.self, Messages.self])

    /// The service over the store, with the rotation overlap of `GATEWAY_WEBHOOK_ROTATION_OVERLAP`.
    static func service(_ storage: StorageOptions) async throws -> WebhookEndpointService {
        WebhookEndpointService(
            store: try await storage.openStore(),
            rotationOverlap: try Environment.duration("GATEWAY_WEBHOOK_ROTATION_OVERLAP") ?? WebhookEndpointService.defaultRotationOverlap)
    }

    struct Endpoints: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register, list, rotate, disable, enable and remove endpoints.",
            subcommands: [Add.self, List.self, Rotate.self, Disable.self, Enable.self, Remove.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Register an endpoint; prints its secret, shown only this once.")
            @Option(help: "Where events are posted (http or https).") var url: String
            @Option(help: "An event type it receives (repeatable); none means every type: \(OutboundEventType.allCases.map(\.rawValue).joined(separator: ", ")).")
            var event: [String] = []
            @Option(help: "What it is.") var description: String?
            @OptionGroup var storage: StorageOptions

            func run() async throws {
                Output.print(try await WebhooksCommand.service(storage).add(WebhookEndpointInput(url: url, events: event, description: description), at: Date()))
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Every endpoint with its message counts (never its secret).")
            @OptionGroup var storage: StorageOptions

            func run() async throws {
                Output.print(try await WebhooksCommand.service(storage).endpoints())
            }
        }

        struct Rotate: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Make a new secret (printed once); the current one keeps signing beside it for the overlap.")
            @Argument(help: "The endpoint's id.") var endpoint: Int64
            @Option(help: "Hours the current secret keeps signing (default: GATEWAY_WEBHOOK_ROTATION_OVERLAP, else 24).") var overlapHours: Double?
            @OptionGroup var storage: StorageOptions

            func run() async throws {
                Output.print(try await WebhooksCommand.service(storage).rotateSecret(WebhookEndpointID(endpoint), overlapHours: overlapHours, at: Date()))
            }
        }

        struct Disable: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Stop sending to an endpoint; its messages wait.")
            @Argument(help: "The endpoint's id.") var endpoint: Int64
            @Option(help: "Why (shown in the console).") var reason: String?
            @OptionGroup var storage: StorageOptions

            func run() async throws {
                Output.print(try await WebhooksCommand.service(storage).disable(WebhookEndpointID(endpoint), reason: reason, at: Date()))
            }
        }

        struct Enable: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Send to an endpoint again, from the oldest message waiting.")
            @Argument(help: "The endpoint's id.") var endpoint: Int64
            @OptionGroup var storage: StorageOptions

            func run() async throws {
                Output.print(try await WebhooksCommand.service(storage).enable(WebhookEndpointID(endpoint), at: Date()))
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove an endpoint and its message log.")
            @Argument(help: "The endpoint's id.") var endpoint: Int64
            @OptionGroup var storage: StorageOptions

            func run() async throws {
                try await WebhooksCommand.service(storage).remove(WebhookEndpointID(endpoint), at: Date())
                print("endpoint \(endpoint) removed")
            }
        }
    }

    struct Messages: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The message log, and resending.", subcommands: [List.self, Resend.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Messages, newest first: status, attempts, last error.")
            @Option(help: "Only this endpoint's.") var endpoint: Int64?
            @Option(help: "Only these statuses (repeatable): \(OutboundMessageStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
            var status: [String] = []
            @Option(help: "Only this event type.") var eventType: String?
            @Option(help: "At most this many.") var limit: Int = 50
            @Option(help: "Only messages with a smaller id (the last id of the previous page).") var before: Int64?
            @OptionGroup var storage: StorageOptions

            func run() async throws {
                let messages = try await WebhooksCommand.service(storage).messages(
                    endpoint: endpoint.map(WebhookEndpointID.init), statuses: status, eventType: eventType, before: before, limit: limit)
                for message in messages {
                    print(
                        "\(message.id)\tendpoint \(message.endpointID)\t\(message.eventType.rawValue)\t\(message.eventID)\t\(message.status.rawValue)\t"
                            + "attempts \(message.attempts)\t\(message.lastError ?? "")")
                }
            }
        }

        struct Resend: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Send a message again (it keeps its webhook-id), or every dead message of an endpoint.")
            @Argument(help: "The message's id.") var message: Int64?
            @Option(help: "With --failed: the endpoint whose dead messages go again.") var endpoint: Int64?
            @Flag(help: "Resend every dead message of --endpoint.") var failed = false
            @OptionGroup var storage: StorageOptions

            func validate() throws {
                guard (message != nil) != (failed && endpoint != nil) else {
                    throw ValidationError("give a message id, or --endpoint N --failed")
                }
            }

            func run() async throws {
                let service = try await WebhooksCommand.service(storage)
                if let message {
                    Output.print(try await service.resend(OutboundMessageID(message), at: Date()))
                } else if let endpoint {
                    print("\(try await service.resendFailed(of: WebhookEndpointID(endpoint), at: Date())) message(s) queued again")
                }
            }
        }
    }
}
