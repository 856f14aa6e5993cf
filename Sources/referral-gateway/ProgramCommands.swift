public import ArgumentParser
import Foundation
public import GatewayCore
import GatewayStore

extension Partner.Kind: ExpressibleByArgument {}
extension Partner.PayoutForm: ExpressibleByArgument {}

/// `referral-gateway partners add|list`.
struct PartnersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partners", abstract: "Register and list referral partners.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a partner.")

        @Option(help: "The partner's name.") var name: String
        @Option(help: "One of: \(Partner.Kind.allCases.map(\.rawValue).joined(separator: ", ")).") var kind: Partner.Kind
        @Option(help: "One of: \(Partner.PayoutForm.allCases.map(\.rawValue).joined(separator: ", ")).")
        var payoutForm: Partner.PayoutForm = .cash
        @Option(help: "Contact email.") var email: String?
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let partner = try await storage.openDatabase().createPartner(
                NewPartner(name: name, kind: kind, payoutForm: payoutForm, email: email), at: Date())
            Output.print(partner)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List partners.")
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            Output.print(try await storage.openDatabase().partners())
        }
    }
}

/// `referral-gateway plans add|list`.
struct PlansCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plans", abstract: "Create and list commission plans.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a plan paying a share of each collected payment.",
            discussion: "Example: plans add --name \"COI 10% first year\" --rate 10% --months 12 --hold-days 30")

        @Option(help: "A unique plan name.") var name: String
        @Option(help: "Share of each collected payment, e.g. 10% or 12.5%.") var rate: String
        @Option(help: "For how many months of the contract; omit for the life of the contract.") var months: Int?
        @Option(help: "Days an accrual stays pending before it is payable.") var holdDays: Int = PlanVersion.defaultHoldDays
        @Option(help: "Days after an introduction within which the contract must start.")
        var attributionWindowDays: Int = PlanVersion.defaultAttributionWindowDays
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            guard let rate = BasisPoints(percent: rate), rate.value > 0, rate.value <= 10_000 else {
                throw ValidationError("--rate must be a percentage between 0.01% and 100%, e.g. 10%")
            }
            if let months, months <= 0 { throw ValidationError("--months must be positive") }
            let plan = try await storage.openDatabase().createPlan(
                NewPlan(
                    name: name, effectiveFrom: Date(timeIntervalSince1970: 0), rules: [.recurringShare(rate: rate, months: months)],
                    holdDays: holdDays, attributionWindowDays: attributionWindowDays))
            Output.print(plan)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List plans with their versions.")
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            Output.print(try await storage.openDatabase().plans())
        }
    }
}

/// `referral-gateway referrals add|list`.
struct ReferralsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "referrals", abstract: "Record and list referrals.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record that a partner introduced a prospect.")

        @Option(help: "The referring partner's id.") var partner: Int64
        @Option(help: "The plan's id.") var plan: Int64
        @Option(help: "The prospect company's name.") var prospect: String
        @Option(help: "A company domain (repeatable).") var domain: [String] = []
        @Option(help: "A contact email (repeatable).") var email: [String] = []
        @Option(help: "A vendor id as source=id, e.g. stripe=cus_123 (repeatable).") var vendorID: [String] = []
        @Option(help: "The referral code handed to the prospect.") var code: String?
        @Option(help: "When the introduction happened (ISO 8601 date); default now.") var introduced: DayOrInstant?
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            var vendorIDs: [String: String] = [:]
            for pair in vendorID {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw ValidationError("--vendor-id takes source=id, e.g. stripe=cus_123")
                }
                vendorIDs[parts[0]] = parts[1]
            }
            let referral = try await storage.openDatabase().createReferral(
                NewReferral(
                    partnerID: PartnerID(partner), planID: PlanID(plan), prospectName: prospect, domains: domain, contactEmails: email,
                    vendorIDs: vendorIDs, referralCode: code, introducedAt: introduced?.date ?? Date()))
            Output.print(referral)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List referrals.")
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            Output.print(try await storage.openDatabase().referrals())
        }
    }
}

/// `referral-gateway accruals list --partner N`.
struct AccrualsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accruals", abstract: "Read commission accruals.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a partner's accruals (all partners' without --partner).")

        @Option(help: "The partner's id.") var partner: Int64?
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let database = try storage.openDatabase()
            let accruals: [Accrual]
            if let partner {
                accruals = try await database.accruals(partner: PartnerID(partner))
            } else {
                accruals = try await database.allAccruals()
            }
            Output.print(accruals)
        }
    }
}
