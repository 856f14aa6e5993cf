public import ArgumentParser
import Foundation
public import GatewayCore
import GatewayEngine
import GatewayRepositories

extension ProgramSettings.ConflictRule: ExpressibleByArgument {}

/// `referral-gateway partners add|list|portal-link`.
struct PartnersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partners", abstract: "Register and list referral partners; issue portal links.",
        subcommands: [Add.self, Edit.self, List.self, Deactivate.self, Reactivate.self, PortalLink.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a partner.")

        @Option(help: "The partner's name.") var name: String
        @Option(help: "One of: \(Partner.Kind.allCases.map(\.rawValue).joined(separator: ", ")).") var kind: String
        @Option(help: "For centers of influence: \(Partner.Specialty.allCases.map(\.rawValue).joined(separator: ", ")).")
        var specialty: String?
        @Option(help: "One of: \(Partner.PayoutForm.allCases.map(\.rawValue).joined(separator: ", ")) (cash by default).")
        var payoutForm: String?
        @Option(help: "Contact email.") var email: String?
        @Option(help: "The partner's own company domain (repeatable): referrals of it are refused.") var domain: [String] = []
        @Option(help: "The partner's own vendor id as source=id (repeatable).") var vendorID: [String] = []
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let input = PartnerInput(
                name: name, kind: kind, specialty: specialty, payoutForm: payoutForm, email: email, domains: domain,
                vendorIDs: try VendorIDs.parse(vendorID))
            Output.print(try await ProgramService(store: try await storage.openStore()).addPartner(input, at: Date()))
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a partner: the options given replace what is stored.")

        @Argument(help: "The partner's id.") var partner: Int64
        @Option(help: "The partner's name.") var name: String?
        @Option(help: "One of: \(Partner.Kind.allCases.map(\.rawValue).joined(separator: ", ")).") var kind: String?
        @Option(help: "For centers of influence: \(Partner.Specialty.allCases.map(\.rawValue).joined(separator: ", ")).")
        var specialty: String?
        @Option(help: "One of: \(Partner.PayoutForm.allCases.map(\.rawValue).joined(separator: ", ")).") var payoutForm: String?
        @Option(help: "Contact email.") var email: String?
        @Option(help: "The partner's own company domain (repeatable; replaces the list).") var domain: [String] = []
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let program = ProgramService(store: try await storage.openStore())
            let stored = try await program.partner(PartnerID(partner))
            let input = PartnerInput(
                name: name ?? stored.name, kind: kind ?? stored.kind.rawValue, specialty: specialty ?? stored.specialty?.rawValue,
                payoutForm: payoutForm ?? stored.payoutForm.rawValue, email: email ?? stored.email, domains: domain.isEmpty ? stored.domains : domain)
            Output.print(try await program.updatePartner(stored.id, input, at: Date()))
        }
    }

    struct Deactivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deactivate a partner: no new referrals, submissions or portal sign-ins; what its referrals earn keeps accruing.")
        @Argument(help: "The partner's id.") var partner: Int64
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            Output.print(try await ProgramService(store: try await storage.openStore()).setPartnerActive(PartnerID(partner), false, at: Date()))
        }
    }

    struct Reactivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reactivate a deactivated partner.")
        @Argument(help: "The partner's id.") var partner: Int64
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            Output.print(try await ProgramService(store: try await storage.openStore()).setPartnerActive(PartnerID(partner), true, at: Date()))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List partners.")
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            Output.print(try await ProgramService(store: try await storage.openStore()).partners())
        }
    }
}

/// The rules and terms of a plan version, as flags; the engine's `PlanTermsInput` reads them, as
/// it reads the console's plan form.
struct PlanTermsOptions: ParsableArguments {
    @Option(help: "Share of each collected payment, e.g. 10%.") var rate: String?
    @Option(help: "For how many months the --rate applies; omit for the life of the contract.") var months: Int?
    @Option(help: "Share after --months, for the rest of the contract (a step).") var thenRate: String?
    @Option(help: "Flat fee when the contract starts, e.g. '250 USD'.") var finderFee: String?
    @Option(help: "Share of first-year contract value, paid at signing, e.g. 15%.") var firstYearRate: String?
    @Option(help: "Flat reward at the qualified meeting, e.g. '250 USD'.") var qualifiedReward: String?
    @Option(help: "Bonus on the partner's first converted referral, e.g. '100 USD'.") var firstReferralBonus: String?
    @Option(help: "Credit for the referred client (double-sided), e.g. '200 USD'.") var clientCredit: String?
    @Option(help: "Tier as conversions:bonus, e.g. 3:2.5% (repeatable).") var tier: [String] = []
    @Option(help: "Most one referral can earn, e.g. '5000 USD'.") var capPerReferral: String?
    @Option(help: "Most one partner can earn per calendar year, e.g. '20000 USD'.") var capPerPartnerPerYear: String?
    @Flag(help: "Count one-time invoice lines (setup fees) in payment bases.") var includeOneTimeLines = false
    @Option(help: "Days an accrual stays pending before it is payable.") var holdDays: Int = PlanTerms.defaultHoldDays
    @Option(help: "Days after an introduction within which the contract must start.")
    var attributionWindowDays: Int = PlanTerms.defaultAttributionWindowDays

    /// The flags as plan terms; whether they make sense is the engine's to say.
    func terms(effectiveFrom: Date?) throws -> PlanTerms {
        try PlanTermsInput(
            rate: rate, months: months.map(String.init), thenRate: thenRate, finderFee: finderFee, firstYearRate: firstYearRate,
            qualifiedReward: qualifiedReward, firstReferralBonus: firstReferralBonus, clientCredit: clientCredit, tiers: tier,
            capPerReferral: capPerReferral, capPerPartnerPerYear: capPerPartnerPerYear, includeOneTimeLines: includeOneTimeLines,
            holdDays: String(holdDays), attributionWindowDays: String(attributionWindowDays)
        ).terms(effectiveFrom: effectiveFrom)
    }
}

/// `referral-gateway plans add|version|list`.
struct PlansCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plans", abstract: "Create, version and list commission plans.", subcommands: [Add.self, Version.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a plan.",
            discussion: """
                Examples: plans add --name "COI 10% first year" --rate 10% --months 12 --hold-days 30
                          plans add --name Hybrid --qualified-reward "250 USD" --first-year-rate 15%
                """)

        @Option(help: "A unique plan name.") var name: String
        @OptionGroup var terms: PlanTermsOptions
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let input = PlanInput(name: name, terms: try terms.terms(effectiveFrom: nil))
            Output.print(try await ProgramService(store: try await storage.openStore()).addPlan(input, at: Date()))
        }
    }

    struct Version: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a version to a plan, effective from a date; earlier accruals keep their version.")

        @Option(help: "The plan's id.") var plan: Int64
        @Option(help: "From when the new terms apply (a day such as 2025-07-01, or an ISO 8601 time).") var effective: String
        @OptionGroup var terms: PlanTermsOptions
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let effective = try DateInput.parse(effective, field: "effective_from")
            Output.print(
                try await ProgramService(store: try await storage.openStore()).addPlanVersion(
                    PlanID(plan), try terms.terms(effectiveFrom: effective), at: Date()))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List plans with their versions.")
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            Output.print(try await ProgramService(store: try await storage.openStore()).plans())
        }
    }
}

/// `referral-gateway referrals add|list|qualify|lose|override`.
struct ReferralsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "referrals", abstract: "Record and manage referrals.",
        subcommands: [Add.self, List.self, Qualify.self, Lose.self, Override.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record that a partner introduced a prospect.")

        @Option(help: "The referring partner's id.") var partner: Int64
        @Option(help: "The plan's id.") var plan: Int64
        @Option(help: "The prospect company's name.") var prospect: String
        @Option(help: "A company domain (repeatable).") var domain: [String] = []
        @Option(help: "A contact email (repeatable).") var email: [String] = []
        @Option(help: "A vendor id as source=id, e.g. stripe=cus_123 (repeatable).") var vendorID: [String] = []
        @Option(help: "The referral code handed to the prospect.") var code: String?
        @Option(help: "When the introduction happened (a day or an ISO 8601 time); default now.") var introduced: String?
        @Option(help: "This claim's share when the program splits competing claims: above 0, at most 1 (default 1).") var share: String?
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let share = try share.map { text in
                guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
                    throw ValidationError("--share takes a number such as 0.5")
                }
                return value
            }
            let input = ReferralInput(
                partnerID: partner, planID: plan, prospectName: prospect, domains: domain, contactEmails: email,
                vendorIDs: try VendorIDs.parse(vendorID), referralCode: code, introducedAt: introduced, claimShare: share)
            Output.print(try await ProgramService(store: try await storage.openStore()).addReferral(input, at: Date()))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List referrals with their status and flags.")
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            Output.print(try await ProgramService(store: try await storage.openStore()).referrals(at: Date()))
        }
    }

    struct Qualify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record the qualified meeting.")
        @Argument(help: "The referral's id.") var referral: Int64
        @Option(help: "When (a day or an ISO 8601 time); default now.") var on: String?
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            Output.print(try await ProgramService(store: try await storage.openStore()).qualifyReferral(ReferralID(referral), on: on, at: Date()))
        }
    }

    struct Lose: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark the prospect lost.")
        @Argument(help: "The referral's id.") var referral: Int64
        @Option(help: "When (a day or an ISO 8601 time); default now.") var on: String?
        @Option(help: "Why.") var reason: String?
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            Output.print(
                try await ProgramService(store: try await storage.openStore()).loseReferral(ReferralID(referral), on: on, reason: reason, at: Date()))
        }
    }

    struct Override: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Attribute a customer to this referral whatever matching says; audited, and the ledger is recomputed.")
        @Argument(help: "The referral's id.") var referral: Int64
        @Option(help: "The customer as source:id, e.g. stripe:cus_123.") var customer: String
        @Option(help: "Why (kept in the audit trail).") var reason: String
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            Output.print(
                try await ProgramService(store: try await storage.openStore()).overrideAttribution(
                    ReferralID(referral), customer: customer, reason: reason, at: Date()))
        }
    }
}

/// `referral-gateway accruals list|approve`.
struct AccrualsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accruals", abstract: "Read and approve commission accruals.", subcommands: [List.self, Approve.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a partner's accruals (all partners' without --partner).")

        @Option(help: "The partner's id.") var partner: Int64?
        @Option(help: "Only this status: \(Accrual.Status.allCases.map(\.rawValue).joined(separator: ", ")).") var status: String?
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let store = try await storage.openStore()
            let wanted = try status.map { text in try ProgramValidation.choice(text, "status", Accrual.Status.self) }
            let accruals: [Accrual]
            if let partner {
                accruals = try await store.ledger.accruals(partner: try await ProgramService(store: store).partner(PartnerID(partner)).id)
            } else {
                accruals = try await store.ledger.allAccruals()
            }
            let now = Date()
            Output.print(accruals.map { AccrualView($0, at: now) }.filter { wanted == nil || $0.status == wanted })
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve a line held above the approval threshold.")
        @Argument(help: "The accrual's id.") var accrual: Int64
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let now = Date()
            Output.print(AccrualView(try await ProgramService(store: try await storage.openStore()).approveAccrual(AccrualID(accrual), at: now), at: now))
        }
    }
}

/// `referral-gateway payouts create|paid|list|export`.
struct PayoutsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payouts", abstract: "Batch payable lines and mark them paid.", subcommands: [Create.self, Paid.self, List.self, Export.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put every payable line (clawbacks deducted) into a new batch.")
        @Option(help: "A note for the batch.") var note: String?
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            Output.print(try await ProgramService(store: try await storage.openStore()).createPayout(note: note, at: Date()))
        }
    }

    struct Paid: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a batch paid; its lines are final.")
        @Argument(help: "The payout's id.") var payout: Int64
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            Output.print(try await ProgramService(store: try await storage.openStore()).markPayoutPaid(payout, at: Date()))
        }
    }

    struct Export: AsyncParsableCommand {
        enum Part: String, ExpressibleByArgument, CaseIterable { case bills, credits, json }

        static let configuration = CommandConfiguration(
            abstract: "A batch as an accounts-payable CSV (bills), the clients' invoice credits (credits), or both as JSON.")
        @Argument(help: "The payout's id.") var payout: Int64
        @Option(help: "bills, credits or json.") var part: Part = .bills
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let export = try await ReportService(store: try await storage.openStore()).payoutExport(payout)
            switch part {
            case .bills: print(export.billsCSV, terminator: "")
            case .credits: print(export.creditsCSV, terminator: "")
            case .json: Output.print(export)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List payout batches.")
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            Output.print(try await ProgramService(store: try await storage.openStore()).payouts())
        }
    }
}

/// `referral-gateway outbound add|list`.
struct OutboundCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbound", abstract: "Record work the MSP sent to partners.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record an outbound referral.")
        @Option(help: "The partner's id.") var partner: Int64
        @Option(help: "The client the MSP sent them.") var client: String
        @Option(help: "When (a day or an ISO 8601 time); default now.") var on: String?
        @Option(help: "Its monthly value to the partner, e.g. '300 USD'.") var monthlyValue: MoneyArgument?
        @Option(help: "A note.") var note: String?
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let input = OutboundReferralInput(partnerID: partner, clientName: client, referredAt: on, monthlyValue: monthlyValue?.money, note: note)
            Output.print(try await ProgramService(store: try await storage.openStore()).addOutboundReferral(input, at: Date()))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List outbound referrals.")
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            Output.print(try await ProgramService(store: try await storage.openStore()).outboundReferrals())
        }
    }
}

struct GiveGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "give-get",
        abstract: "Referrals each partner sent against those the MSP sent back over the settings' window, flagged past the settings' ratio.")
    @Option(help: "Days without activity after which a partner is flagged quiet.") var quietDays: Int = 90
    @Flag(help: "Only the partners the MSP owes a give-back.") var owed = false
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        let reports = ReportService(store: try await storage.openStore())
        if owed {
            Output.print(try await reports.owedGiveBack(at: Date(), quietAfterDays: quietDays))
        } else {
            Output.print(try await reports.giveGet(at: Date(), quietAfterDays: quietDays))
        }
    }
}

/// `referral-gateway settings show|set`.
struct SettingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings", abstract: "Program-wide settings.", subcommands: [Show.self, Set.self])

    struct Show: AsyncParsableCommand {
        @OptionGroup var storage: StorageOptions
        func run() async throws { Output.print(try await ProgramService(store: try await storage.openStore()).settings()) }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Change the conflict rule, approval thresholds, the give-and-get ratio and window, the ask window or the go-live date; the ledger is recomputed.")
        @Option(help: "first_valid_claim, last_claim or split.") var conflictRule: ProgramSettings.ConflictRule?
        @Option(help: "Lines above this amount wait for approval, e.g. '1000 USD' (repeatable, one per currency).")
        var approvalThreshold: [MoneyArgument] = []
        @Option(help: "Flag a partner relationship when one side's referrals exceed this many times the other's (3 means 3 to 1).")
        var giveGetRatio: Int?
        @Option(help: "The months of referrals the give and get compares.") var giveGetWindowMonths: Int?
        @Option(help: "Who to ask next: moments, and asks, in this many days.") var askWindowDays: Int?
        @Option(help: "Clients that started before this day (2026-12-01) are existing clients in every report; 'none' removes it.")
        var goLive: String?
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let program = ProgramService(store: try await storage.openStore())
            var thresholds: [String: Int64]?
            if !approvalThreshold.isEmpty {
                thresholds = try await program.settings().approvalThresholds
                for threshold in approvalThreshold { thresholds?[threshold.money.currency.code] = threshold.money.minorUnits }
            }
            let input = SettingsInput(
                conflictRule: conflictRule, approvalThresholds: thresholds, giveGetRatio: giveGetRatio, giveGetWindowMonths: giveGetWindowMonths,
                askWindowDays: askWindowDays, goLive: goLive)
            Output.print(try await program.updateSettings(input, at: Date()))
        }
    }
}

/// `referral-gateway ledger rebuild`.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ledger", abstract: "The ledger.", subcommands: [Rebuild.self])

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recompute every accrual from the stored events (paid lines are never edited).")
        @OptionGroup var storage: StorageOptions
        func run() async throws {
            try await ProgramService(store: try await storage.openStore()).rebuildLedger(at: Date())
            print("rebuilt")
        }
    }
}

/// An amount on the command line: `250 USD`, `12.50 EUR`; its sign is the engine's to judge.
struct MoneyArgument: ExpressibleByArgument {
    var money: Money

    init?(argument: String) {
        let parts = argument.split(separator: " ")
        guard parts.count == 2, let amount = Decimal(string: String(parts[0]), locale: Locale(identifier: "en_US_POSIX")),
            let currency = CurrencyCode(String(parts[1])), let money = Money(decimal: amount, currency: currency)
        else { return nil }
        self.money = money
    }
}

enum VendorIDs {
    /// `source=id` pairs; empty halves are left for the engine to refuse.
    static func parse(_ pairs: [String]) throws -> [String: String] {
        var ids: [String: String] = [:]
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--vendor-id takes source=id, e.g. stripe=cus_123") }
            ids[parts[0]] = parts[1]
        }
        return ids
    }
}
