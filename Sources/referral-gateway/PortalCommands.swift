import ArgumentParser
import Foundation
import GatewayCore
import GatewayEngine

extension PartnersCommand {
    /// `referral-gateway partners portal-link N`.
    struct PortalLink: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "portal-link", abstract: "Issue a single-use sign-in link to the partner portal (printed once).")
        @Argument(help: "The partner's id.") var partner: Int64
        @Option(help: "Days the link stays valid, 1 to \(PortalService.maxLinkDays).") var days: Int = PortalService.defaultLinkDays
        @Option(help: "The gateway's public address, for the link. (env: GATEWAY_PUBLIC_URL)")
        var publicURL: String = Environment.value("GATEWAY_PUBLIC_URL") ?? "http://127.0.0.1:8080"
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let link = try await PortalService(store: try await storage.openStore()).issueLink(for: PartnerID(partner), days: days, at: Date())
            Output.print(link.issued(base: publicURL))
        }
    }
}

/// `referral-gateway submissions list|accept|decline`: the referrals partners submitted in the portal.
struct SubmissionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submissions", abstract: "Review the referrals partners submitted in the portal.", subcommands: [List.self, Accept.self, Decline.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List submissions with the checks to read before accepting one.")
        @Option(help: "Only those with this status: submitted, accepted or declined.") var status: String?
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let status = try status.map { text throws(GatewayError) in try ProgramValidation.choice(text, "status", ReferralSubmission.Status.self) }
            Output.print(try await PortalService(store: try await storage.openStore()).submissionsForReview(status: status))
        }
    }

    struct Accept: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Accept a submission as a referral on a plan.")
        @Argument(help: "The submission's id.") var submission: Int64
        @Option(help: "The plan's id.") var plan: Int64
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            Output.print(try await PortalService(store: try await storage.openStore()).accept(SubmissionID(submission), plan: plan, at: Date()))
        }
    }

    struct Decline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decline a submission; the partner reads the reason.")
        @Argument(help: "The submission's id.") var submission: Int64
        @Option(help: "Why (the partner sees it).") var reason: String
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            Output.print(
                try await PortalService(store: try await storage.openStore()).decline(SubmissionID(submission), reason: reason, at: Date()))
        }
    }
}
