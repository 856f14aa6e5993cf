import Foundation
import GatewayCore
import GatewayViews
import GatewayEngine
import GatewayRepositories
import HTTPTypes
import Hummingbird

/// Builds each console page from the store: reads, shapes the values for people, renders.
struct ConsolePages: Sendable {
    let store: any Repositories
    let program: ProgramService
    let reports: ReportService
    let replays: ReplayJobs
    let now: @Sendable () -> Date

    func render<Content>(_ template: String, _ frame: ConsolePage<Content>.Frame, _ content: Content) -> Response {
        ReportsController.html(ConsoleTemplates.render(template, ConsolePage(frame: frame, content: content)))
    }

    // MARK: Overview

    func overview(period: ReportPeriod, session: ConsoleSessionService.Session) async throws -> Response {
        let date = now()
        // One roster serves both reports: reading it is the expensive part.
        let roster = try await reports.clientRoster()
        let metrics = try await reports.programMetrics(period: period, at: date, roster: roster)
        let reviews = try await reports.clientReviewKPIs(period: period, roster: roster)
        let settings = try await program.settings()
        let askNext = try await reports.askNext(at: date, roster: roster)
        let main = metrics.newMRR.max { $0.total.minorUnits < $1.total.minorUnits }?.total.currency
        let chart = SVGChart(
            title: "Referral-sourced share of new MRR\(main.map { " (\($0))" } ?? "") by month",
            bars: metrics.months.map { month in
                let share = month.newMRR.first { $0.total.currency == main }?.sharePercent
                return SVGChart.Bar(label: month.month, value: share ?? 0, caption: Display.percent(share))
            }, maximum: 100)
        let partnerNames = Dictionary(uniqueKeysWithValues: metrics.byPartner.map { ($0.partnerID, $0.name) })
        let owed = GiveGetBalance.owedGiveBack(metrics.giveGet)
        let top = metrics.topPartners
        let view = OverviewView(
            period: .init(from: Display.day(period.start), to: Display.day(period.end.addingTimeInterval(-1))),
            mrrShares: metrics.newMRR.map { share in
                .init(
                    currency: share.total.currency.code, share: Display.percent(share.sharePercent), sourced: share.referralSourced.description,
                    total: share.total.description)
            },
            newClients: metrics.newClients, referredNewClients: metrics.referredNewClients,
            conversion: .init(
                rate: Display.percent(metrics.conversion.ratePercent), signed: metrics.conversion.signed, introduced: metrics.conversion.introduced,
                medianDays: Display.number(metrics.conversion.medianDaysToSign)),
            kFactor: Display.number(metrics.kFactor.value),
            kFactorDetail:
                "\(metrics.kFactor.clientReferredNewClients) client-referred new clients, \(metrics.kFactor.activeClientsAtStart) active clients at the start",
            retention: .init(
                referred: Display.percent(metrics.retention.referred.retainedPercent), others: Display.percent(metrics.retention.others.retainedPercent),
                referredTenure: Display.number(metrics.retention.referred.averageTenureDays),
                othersTenure: Display.number(metrics.retention.others.averageTenureDays)),
            chart: chart.svg,
            byKind: metrics.byKind.map { kind in
                .init(
                    kind: Display.kind(kind.kind), partners: kind.partners, active: kind.activePartners, referrals: kind.referrals, signed: kind.signed,
                    conversion: Display.percent(kind.conversionPercent), newMRR: Display.money(kind.newMRR), runningMRR: Display.money(kind.runningMRR))
            },
            top: .init(
                percent: top.percent,
                summary:
                    "\(top.partners.count) \(top.partners.count == 1 ? "partner" : "partners") brought \(Display.percent(top.signedSharePercent)) of the contracts signed in the period and "
                    + top.runningMRRSharePercent.map { "\(Display.percent($0.percent)) of running \($0.currency) MRR" }.joined(separator: ", ") + ".",
                partners: top.partners.map { partner in
                    .init(
                        id: partner.partnerID.rawValue, name: partner.name, kind: Display.kind(partner.kind), signed: partner.signed,
                        runningMRR: Display.money(partner.runningMRR))
                }),
            expansion: Display.money(metrics.expansionMRR), contraction: Display.money(metrics.contractionMRR),
            participation: Self.participation(metrics.participation),
            lifetimeValue: Self.lifetimeValue(metrics.lifetimeValue),
            collected: Self.collected(metrics.collectedRevenue),
            giveGetWindow: "\(settings.giveGetWindowMonths) months", giveGetRatio: "\(settings.giveGetRatio)",
            giveGet: metrics.giveGet.map { Self.giveGetRow($0, name: partnerNames[$0.partnerID]) },
            owed: owed.map { Self.giveGetRow($0, name: partnerNames[$0.partnerID]) }, hasOwed: !owed.isEmpty,
            askNext: askNext.map { suggestion in
                .init(
                    key: suggestion.client, name: suggestion.name ?? suggestion.client,
                    reasons: suggestion.moments.map { "\(Display.words($0.reason.rawValue)) on \(Display.day($0.on))" }.joined(separator: "; "),
                    lastAsked: suggestion.lastAskedOn.map { Display.day($0) } ?? "never")
            }, hasAskNext: !askNext.isEmpty,
            reviews: .init(
                reviewed: Display.percent(reviews.reviewedPercent), clientsReviewed: reviews.clientsReviewed, activeClients: reviews.activeClients,
                perMonth: Display.number(reviews.reviewsPerMonth), target: Display.number(reviews.monthlyTarget),
                health: Display.percent(reviews.healthPercent), healthyWithoutAsk: Display.percent(reviews.healthyWithoutAskPercent),
                risk: Display.percent(reviews.riskPercent), unknown: Display.percent(reviews.unknownPercent)))
        return render("overview", .init(title: "Overview", csrf: session.csrf), view)
    }

    private static func participation(_ participation: ProgramMetrics.Participation) -> OverviewView.Participation {
        .init(
            clients: Display.percent(participation.clientPercent),
            clientsDetail: "\(participation.referringClients) of \(participation.activeClients) active clients made a referral",
            partners: Display.percent(participation.partnerPercent),
            partnersDetail: "\(participation.referringPartners) of \(participation.partners) partners made a referral")
    }

    private static func lifetimeValue(_ value: ProgramMetrics.LifetimeValue) -> [OverviewView.LifetimeValue] {
        value.referredToOthers.map { currency in
            let amount = { (cohort: ProgramMetrics.LifetimeValue.Cohort) in cohort.perClient.first { $0.currency == currency.currency }?.description ?? "—" }
            return .init(
                currency: currency.currency.code, referred: amount(value.referred), others: amount(value.others),
                ratio: currency.ratio.map { "referred clients bring \(Display.number($0))× the others" } ?? "")
        }
    }

    private static func collected(_ revenue: ProgramMetrics.CollectedRevenue) -> OverviewView.Collected {
        .init(
            window: "\(Display.day(revenue.from)) to \(Display.day(revenue.to.addingTimeInterval(-1)))",
            sources: revenue.bySource.map { source in
                .init(
                    source: source.source, label: Partner.Kind(rawValue: source.source).map(Display.kind) ?? Display.words(source.source),
                    clients: source.clients, amount: Display.money(source.collected))
            }, total: Display.money(revenue.total))
    }

    private static func giveGetRow(_ balance: GiveGetBalance, name: String?) -> OverviewView.GiveGetRow {
        .init(
            id: balance.partnerID.rawValue, name: name ?? balance.partnerName, received: balance.referralsReceived, given: balance.referralsGiven,
            mrrReceived: Display.money(balance.mrrReceived), mrrGiven: Display.money(balance.mrrGiven),
            flags: balance.flags.map { Display.words($0.rawValue) }.joined(separator: ", "))
    }

    // MARK: Deliveries

    /// Failed and dead deliveries first (newest first within each), then the rest; or one status.
    func deliveries(_ request: Request, session: ConsoleSessionService.Session) async throws -> Response {
        let parameters = request.uri.queryParameters
        let status = parameters.get("status").flatMap { $0.isEmpty ? nil : DeliveryStatus(rawValue: $0) }
        func query(_ statuses: [DeliveryStatus], limit: Int) throws -> DeliveryQuery {
            try DeliveryFilter(
                source: parameters.get("source"), statuses: statuses.map(\.rawValue), eventType: parameters.get("event_type"),
                customer: parameters.get("customer")
            ).query(limit: limit)
        }
        var rows: [StoredDelivery]
        if let status {
            rows = try await store.inbox.deliveries(matching: try query([status], limit: 200))
        } else {
            rows = try await store.inbox.deliveries(matching: try query([.failed, .dead], limit: 200))
            let others = DeliveryStatus.allCases.filter { $0 != .failed && $0 != .dead }
            rows += try await store.inbox.deliveries(matching: try query(others, limit: 200))
        }
        let view = DeliveriesView(
            statuses: DeliveryStatus.allCases.map { .init(value: $0.rawValue, selected: $0 == status) },
            source: parameters.get("source") ?? "", eventType: parameters.get("event_type") ?? "", customer: parameters.get("customer") ?? "",
            rows: rows.map { delivery in
                .init(
                    id: delivery.id.rawValue, source: delivery.source, eventType: delivery.eventType ?? "", status: delivery.status.rawValue,
                    received: delivery.receivedAt.formatted(.iso8601), attempts: delivery.attempts, reason: delivery.statusReason ?? "")
            })
        return render("deliveries", .init(title: "Deliveries", csrf: session.csrf), view)
    }

    /// One delivery: the raw body, what it mapped to and the accruals it produced, side by side.
    func delivery(_ id: DeliveryID, session: ConsoleSessionService.Session) async throws -> Response {
        guard let delivery = try await store.inbox.delivery(id) else { throw GatewayError.notFound("delivery \(id) does not exist") }
        let events = try await store.inbox.businessEvents(of: id)
        let date = now()
        let view = DeliveryDetailView(
            id: id.rawValue, source: delivery.source, eventType: delivery.eventType ?? "", status: delivery.status.rawValue,
            vendorID: delivery.vendorDeliveryID, received: delivery.receivedAt.formatted(.iso8601), attempts: delivery.attempts, raw: Self.raw(delivery),
            reason: delivery.statusReason,
            events: events.map { recorded in
                .init(
                    kind: recorded.event.kind.rawValue, businessKey: recorded.event.businessKey, explanation: recorded.explanation,
                    payload: Self.pretty((try? JSONResponse.encoder.encode(recorded.event)) ?? Data()))
            },
            accruals: try await store.ledger.accruals(fromDelivery: id).map { accrual in
                .init(id: accrual.id.rawValue, rule: accrual.line.rule, amount: accrual.line.amount.description, status: accrual.status(at: date).rawValue)
            })
        return render("delivery", .init(title: "Delivery \(id)", csrf: session.csrf), view)
    }

    /// A replay of one delivery: a dry run showing the ledger diff, or, confirmed, the real one.
    func replay(_ id: DeliveryID, apply: Bool, session: ConsoleSessionService.Session) async throws -> Response {
        guard try await store.inbox.delivery(id) != nil else { throw GatewayError.notFound("delivery \(id) does not exist") }
        let job = try await replays.run([id], dryRun: !apply, at: now())
        let diff = job.diff
        let changes: [ReplayView.Change] =
            diff.created.map { .init(change: "created", key: $0.key, before: "—", after: $0.amount.description) }
            + diff.changed.map { .init(change: "changed", key: $0.key, before: "\($0.before) (\($0.stateBefore))", after: "\($0.after) (\($0.stateAfter))") }
            + diff.reversed.map { .init(change: "reversed", key: $0.key, before: "\($0.before) (\($0.stateBefore))", after: "\($0.after) (\($0.stateAfter))") }
        let outcome = job.statuses.map { "\($0.value) \($0.key)" }.sorted().joined(separator: ", ")
        let summary =
            apply
            ? "Replayed: \(outcome). The ledger changed as below."
            : "Nothing was written. Replaying would leave the delivery \(outcome), and the ledger would change as below."
        return render(
            "replay", .init(title: "Replay \(id)", csrf: session.csrf), ReplayView(id: id.rawValue, applied: apply, summary: summary, changes: changes))
    }

    private static func raw(_ delivery: StoredDelivery) -> String {
        if let pruned = delivery.bodyPrunedAt { return "(body pruned on \(pruned.formatted(.iso8601)))" }
        guard String(validating: delivery.body, as: UTF8.self) != nil else { return "(not UTF-8) base64: " + delivery.body.base64EncodedString() }
        return pretty(delivery.body)
    }

    /// JSON indented for reading; other text as it came.
    private static func pretty(_ data: Data) -> String {
        if let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
            let indented = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        {
            return String(decoding: indented, as: UTF8.self)
        }
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: Partners

    func partners(notice: String? = nil, refusal: ConsoleForm.Refusal? = nil, session: ConsoleSessionService.Session) async throws -> Response {
        let date = now()
        let partners = try await program.partners()
        let running = try await reports.running(on: date)
        let balances = try await reports.partnerBalances(at: date)
        let giveGet = Dictionary(uniqueKeysWithValues: try await reports.giveGet(at: date, quietAfterDays: 90).map { ($0.partnerID, $0) })
        let rows = partners.map { partner -> PartnersView.Row in
            let running = running[partner.id] ?? (0, [])
            let balance = balances[partner.id] ?? []
            let balanceOf = { (status: Accrual.Status) in Display.money(balance.map { $0.amount(status) }.filter { $0.minorUnits != 0 }) }
            return PartnersView.Row(
                id: partner.id.rawValue, name: partner.name, kind: Display.kind(partner.kind), clients: running.clients,
                mrr: Display.money(running.mrr), pending: balanceOf(.pending), payable: balanceOf(.payable),
                paid: balanceOf(.paid), given: giveGet[partner.id]?.referralsGiven ?? 0, received: giveGet[partner.id]?.referralsReceived ?? 0,
                flags: ((partner.deactivatedAt.map { ["deactivated \(Display.day($0))"] } ?? [])
                    + (giveGet[partner.id]?.flags.map { Display.words($0.rawValue) } ?? [])).joined(separator: ", "))
        }
        let add = Self.partnerForm(nil, action: "/console/partners", name: "add", submit: "Add the partner").refused(refusal)
        var response = render(
            "partners", .init(title: "Partners", csrf: session.csrf, notice: notice.flatMap { Self.notices[$0] }),
            PartnersView(rows: rows, sections: [.init(heading: "Add a partner", note: nil, form: add)]))
        response.status = refusal?.error.status ?? .ok
        return response
    }

    /// A partner's page: MRR sourced month by month over the trailing year, and the statement.
    func partner(
        _ id: PartnerID, period: ReportPeriod, notice: String? = nil, refusal: ConsoleForm.Refusal? = nil, session: ConsoleSessionService.Session
    ) async throws -> Response {
        let date = now()
        let statement = try await reports.statement(partner: id, period: period, at: date)
        let months = ReportPeriod.trailingYear(to: date).months()
        // Each month's bar is what is running at its end (today, for the month in progress).
        let mrr = try await reports.runningMRR(of: id, on: months.map { min($0.end, date) } + [date])
        let byMonth = Array(mrr.dropLast())
        let main = Dictionary(grouping: byMonth.flatMap { $0 }, by: \.currency).max { $0.value.count < $1.value.count }?.key
        let chart = SVGChart(
            title: "MRR sourced by \(statement.partner.name)\(main.map { " (\($0))" } ?? "") by month",
            bars: zip(months, byMonth).map { month, amounts in
                let amount = amounts.first { $0.currency == main }
                return SVGChart.Bar(
                    label: ReportPeriod.monthLabel(month.start), value: Double(amount?.minorUnits ?? 0), caption: amount?.decimalString ?? "0")
            }, maximum: nil)
        let partner = try await program.partner(id)
        let activity = ConsoleForm(
            name: "activity", action: "/console/partners/\(id)/\(partner.isActive ? "deactivate" : "reactivate")",
            submit: partner.isActive ? "Deactivate" : "Reactivate", fields: [])
        let view = PartnerView(
            id: id.rawValue, statement: StatementView(statement), chart: chart.svg,
            mrr: Display.money(mrr.last ?? []), inactive: partner.deactivatedAt.map { "deactivated \(Display.day($0))" },
            sections: [
                .init(
                    heading: "Edit the partner", note: nil,
                    form: Self.partnerForm(partner, action: "/console/partners/\(id)", name: "edit", submit: "Save").refused(refusal)),
                .init(
                    heading: "A referral we sent to \(partner.name)", note: "The give of give and get.",
                    form: Self.outboundForm(partner: id).refused(refusal)),
                .init(
                    heading: partner.isActive ? "Deactivate" : "Reactivate",
                    note: partner.isActive
                        ? "A deactivated partner takes no new referrals, submissions or portal sign-ins; what its referrals earn keeps accruing."
                        : nil, form: activity),
            ])
        var response = render(
            "partner", .init(title: statement.partner.name, csrf: session.csrf, notice: notice.flatMap { Self.notices[$0] }), view)
        response.status = refusal?.error.status ?? .ok
        return response
    }

    // MARK: Imports

    /// The upload form, with the preview or the result of `report` when there is one.
    func imports(_ report: ImportReport? = nil, content: Data = Data(), session: ConsoleSessionService.Session) -> Response {
        let view = ImportsView(
            kinds: ImportKind.allCases.map { .init(value: $0.rawValue, selected: $0 == report?.kind) },
            report: report.map { report in
                let counts = "\(report.created) to create, \(report.changed) to change, \(report.unchanged) unchanged"
                let summary: String
                if !report.refused.isEmpty {
                    summary = "\(report.refused.count) \(report.refused.count == 1 ? "row is" : "rows are") refused, so nothing can be imported: fix them and preview the file again."
                } else if report.applied {
                    summary = "Imported: \(report.created) created, \(report.changed) changed, \(report.unchanged) unchanged."
                } else {
                    summary = "Nothing is written yet: \(counts)."
                }
                return .init(
                    heading: report.applied ? "Imported \(report.kind.rawValue)" : "Preview of \(report.kind.rawValue)", summary: summary,
                    kind: report.kind.rawValue,
                    rows: report.rows.map { .init(line: $0.line, action: $0.action.rawValue, key: $0.key) },
                    refused: report.refused.map { .init(line: $0.line, column: $0.column ?? "", reason: $0.reason) },
                    hasRefused: !report.refused.isEmpty, canApply: !report.applied && report.refused.isEmpty && report.created + report.changed > 0,
                    content: content.base64EncodedString())
            })
        return render("imports", .init(title: "Import", csrf: session.csrf), view)
    }

    // MARK: Backfills

    /// The backfills since the gateway started, with their progress, and the form to start one.
    func backfills(_ jobs: [BackfillJobs.Job], sources: [String], notice: String?, session: ConsoleSessionService.Session) -> Response {
        let view = BackfillsView(
            sources: sources, hasSources: !sources.isEmpty,
            rows: jobs.map { job in
                .init(
                    id: job.id, source: job.source, since: Display.day(job.since), state: job.state.rawValue,
                    progress: job.state == .running ? (job.percentDone.map { "\(Display.number($0)) %" } ?? "starting") : "",
                    fetched: job.fetched, stored: job.stored, error: job.error ?? "")
            })
        let message = notice.flatMap { $0.hasPrefix("started-") ? "Backfill \($0.dropFirst("started-".count)) started." : nil }
        return render("backfills", .init(title: "Backfills", csrf: session.csrf, notice: message), view)
    }

    // MARK: Clients

    /// The clients active today, their latest review, and the review form.
    func clients(notice: String?, session: ConsoleSessionService.Session) async throws -> Response {
        let date = now()
        let roster = try await reports.clientRoster()
        let reviews = try await program.clientReviews()
        let kpis = ClientReviewKPIs(period: .trailingYear(to: date), roster: roster, reviews: reviews)
        let latest = Dictionary(reviews.map { ($0.client, $0) }, uniquingKeysWith: { $0.reviewedOn > $1.reviewedOn ? $0 : $1 })
        let names = Dictionary(uniqueKeysWithValues: try await program.partners().map { ($0.id, $0.name) })
        let view = ClientsView(
            rows: roster.active(on: date).map { client in
                .init(
                    key: client.key, name: client.name ?? client.key, referred: client.partnerID.flatMap { names[$0] } ?? "—",
                    mrr: client.monthlyValue?.description ?? "—", lastPaid: Display.day(client.lastPaidAt),
                    review: latest[client.key].map { "\(Display.words($0.outcome.rawValue)) on \(Display.day($0.reviewedOn))" } ?? "none")
            },
            today: Display.day(date), outcomes: ClientReview.Outcome.allCases.map { .init(value: $0.rawValue, label: Display.words($0.rawValue)) },
            kpis: .init(
                reviewed: Display.percent(kpis.reviewedPercent), clientsReviewed: kpis.clientsReviewed, activeClients: kpis.activeClients,
                health: Display.percent(kpis.healthPercent), healthyWithoutAsk: Display.percent(kpis.healthyWithoutAskPercent),
                risk: Display.percent(kpis.riskPercent), unknown: Display.percent(kpis.unknownPercent)))
        return render("clients", .init(title: "Clients", csrf: session.csrf, notice: notice == "reviewed" ? "Review recorded." : nil), view)
    }

    // MARK: Payouts

    func payouts(notice: String?, session: ConsoleSessionService.Session) async throws -> Response {
        let names = Dictionary(uniqueKeysWithValues: try await program.partners().map { ($0.id, $0.name) })
        let rows = try await program.payouts().reversed().map { payout in
            PayoutsView.Row(
                id: payout.id, created: Display.day(payout.createdAt), paid: Display.day(payout.paidAt), unpaid: payout.paidAt == nil,
                lines: payout.lines.count,
                totals: payout.totals.map { "\(names[$0.partnerID] ?? "partner \($0.partnerID)")\($0.beneficiary == .referredClient ? " (client credit)" : ""): \($0.amount)" }
                    .joined(separator: "; "))
        }
        return render("payouts", .init(title: "Payouts", csrf: session.csrf, notice: Self.notice(notice)), PayoutsView(rows: rows))
    }

    /// The confirmation a redirect after a form asks for, from a fixed list (never echoed text).
    private static func notice(_ code: String?) -> String? {
        guard let code, let dash = code.lastIndex(of: "-"), let id = Int64(code[code.index(after: dash)...]) else { return nil }
        switch code[..<dash] {
        case "created": return "Payout \(id) created."
        case "paid": return "Payout \(id) marked paid; its lines are final."
        default: return nil
        }
    }
}
