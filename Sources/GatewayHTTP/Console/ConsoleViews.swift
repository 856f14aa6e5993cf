import Foundation
import GatewayViews

// The typed views of the console's pages: every value already written for people (`Display`),
// named as the templates in `ConsoleTemplates` read them.

/// `/console`: the program's metrics and the review KPIs over a period.
struct OverviewView {
    struct Period { var from, to: String }
    struct MRRShare { var currency, share, sourced, total: String }
    struct Conversion {
        var rate: String
        var signed: Int
        var introduced: Int
        var medianDays: String
    }
    struct Retention { var referred, others, referredTenure, othersTenure: String }
    struct KindRow {
        var kind: String
        var partners, active, referrals, signed: Int
        var conversion, newMRR, runningMRR: String
    }
    struct PartnerRow {
        var id: Int64
        var name, kind: String
        var signed: Int
        var runningMRR: String
    }
    struct Top {
        var percent: Int
        var summary: String
        var partners: [PartnerRow]
    }
    struct GiveGetRow {
        var id: Int64
        var name: String
        var received, given: Int
        var mrrReceived, mrrGiven, flags: String
    }
    struct Reviews {
        var reviewed: String
        var clientsReviewed, activeClients: Int
        var perMonth, target, health, healthyWithoutAsk, risk, unknown: String
    }
    struct Participation { var clients, clientsDetail, partners, partnersDetail: String }
    struct LifetimeValue { var currency, referred, others, ratio: String }
    struct Collected {
        struct Source { var source, label: String; var clients: Int; var amount: String }
        var window: String
        var sources: [Source]
        var total: String
    }
    struct AskRow { var key, name, reasons, lastAsked: String }

    var period: Period
    var mrrShares: [MRRShare]
    var newClients, referredNewClients: Int
    var conversion: Conversion
    var kFactor, kFactorDetail: String
    var retention: Retention
    var chart: String
    var byKind: [KindRow]
    var top: Top
    var expansion, contraction: String
    var participation: Participation
    var lifetimeValue: [LifetimeValue]
    var collected: Collected
    var giveGetWindow, giveGetRatio: String
    var giveGet: [GiveGetRow]
    var owed: [GiveGetRow]
    var hasOwed: Bool
    var askNext: [AskRow]
    var hasAskNext: Bool
    var reviews: Reviews
}

/// `/console/deliveries`: failed and dead first, with filters.
struct DeliveriesView {
    struct StatusOption {
        var value: String
        var selected: Bool
    }
    struct Row {
        var id: Int64
        var source, eventType, status, received: String
        var attempts: Int
        var reason: String
    }

    var statuses: [StatusOption]
    var source, eventType, customer: String
    var rows: [Row]
}

/// `/console/deliveries/{id}`: the raw body beside what it mapped to and what it accrued.
struct DeliveryDetailView {
    struct Event { var kind, businessKey, explanation, payload: String }
    struct AccrualRow {
        var id: Int64
        var rule, amount, status: String
    }

    var id: Int64
    var source, eventType, status, vendorID, received: String
    var attempts: Int
    var raw: String
    var reason: String?
    var events: [Event]
    var accruals: [AccrualRow]
}

/// A replay's result (or, dry, what it would do).
struct ReplayView {
    struct Change { var change, key, before, after: String }

    var id: Int64
    var applied: Bool
    var summary: String
    var changes: [Change]
}

/// `/console/partners`.
struct PartnersView {
    struct Row {
        var id: Int64
        var name, kind: String
        var clients: Int
        var mrr, pending, payable, paid: String
        var given, received: Int
        var flags: String
    }

    var rows: [Row]
    /// Adding a partner.
    var sections: [ConsoleFormSection]
}

/// `/console/partners/{id}`: MRR sourced by month, the statement, and the forms to edit the
/// partner, record a referral sent to it, and deactivate it.
struct PartnerView {
    var id: Int64
    var statement: StatementView
    var chart: String
    var mrr: String
    /// "deactivated on …", for a partner that is.
    var inactive: String?
    var sections: [ConsoleFormSection]
}

/// `/console/clients`: paying clients, their latest review, the review form and KPIs.
struct ClientsView {
    struct Row { var key, name, referred, mrr, lastPaid, review: String }
    struct Outcome { var value, label: String }
    struct KPIs {
        var reviewed: String
        var clientsReviewed, activeClients: Int
        var health, healthyWithoutAsk, risk, unknown: String
    }

    var rows: [Row]
    var today: String
    var outcomes: [Outcome]
    var kpis: KPIs
}

/// `/console/payouts`.
struct PayoutsView {
    struct Row {
        var id: Int64
        var created, paid: String
        var unpaid: Bool
        var lines: Int
        var totals: String
    }

    var rows: [Row]
}

/// `/console/imports`: the upload form, and a preview (or the result) of an import.
struct ImportsView {
    struct Kind { var value: String; var selected: Bool }
    struct Report {
        struct Row { var line: Int; var action, key: String }
        struct Refusal { var line: Int; var column, reason: String }
        var heading, summary, kind: String
        var rows: [Row]
        var refused: [Refusal]
        var hasRefused: Bool
        var canApply: Bool
        /// The previewed file, base64, carried by the apply form so it need not be chosen again.
        var content: String
    }

    var kinds: [Kind]
    var report: Report?
}

/// `/console/backfills`: history brought in from vendors' APIs, and the form to start a backfill.
struct BackfillsView {
    struct Row {
        var id: Int
        var source, since, state, progress: String
        var fetched, stored: Int
        var error: String
    }

    var sources: [String]
    var hasSources: Bool
    var rows: [Row]
}
