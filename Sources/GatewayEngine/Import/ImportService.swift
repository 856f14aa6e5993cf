public import Foundation
public import GatewayCore
public import GatewayRepositories

/// Imports the program an MSP kept in a spreadsheet: partners, referrals, outbound referrals and
/// client reviews, one CSV file per kind. Every row goes through the engine's own validation (the
/// same as the API's and the command line's); any refused row refuses the whole file, and nothing
/// is written. Rows are matched to what is stored by natural keys, so importing the same file
/// again changes nothing and a changed row updates.
///
/// A file's rows are written in one transaction once the whole file is checked, and the ledger is
/// recomputed once: an import lands whole or not at all.
public struct ImportService: Sendable {
    private let store: any Repositories
    private let program: ProgramService

    public init(store: any Repositories) {
        self.store = store
        self.program = ProgramService(store: store)
    }

    /// Checks `data` as a `kind` file and, unless `dryRun` or a row is refused, applies it.
    ///
    /// - Throws: `GatewayError.invalid` for a file that cannot be read as one (size, encoding,
    ///   header); refused rows are in the report, not thrown.
    public func run(_ kind: ImportKind, _ data: Data, dryRun: Bool, at now: Date) async throws -> ImportReport {
        let file = try CSVImportFile(data, kind: kind)
        var plan = Plan()
        switch kind {
        case .partners: try await planPartners(file, into: &plan, at: now)
        case .referrals: try await planReferrals(file, into: &plan, at: now)
        case .outbound: try await planOutbound(file, into: &plan, at: now)
        case .reviews: try await planReviews(file, into: &plan, at: now)
        }
        let report = ImportReport(kind: kind, dryRun: dryRun, rows: plan.outcomes, refused: plan.refused)
        if report.applied, !plan.changes.isEmpty { try await program.apply(plan.changes, at: now) }
        return report
    }

    /// What the file would do: an outcome or a refusal per row, and the changes to write.
    private struct Plan {
        var outcomes: [ImportReport.RowOutcome] = []
        var refused: [ImportReport.Refusal] = []
        var changes = ProgramChanges()
        /// Natural keys seen so far in the file, with their line.
        var seen: [String: Int] = [:]

        /// Whether the row's key is new in the file; a repeat is refused.
        mutating func first(_ key: String, line: Int) -> Bool {
            if let earlier = seen[key.lowercased()] {
                refused.append(.init(line: line, column: nil, reason: "repeats line \(earlier) (\(key))"))
                return false
            }
            seen[key.lowercased()] = line
            return true
        }

        mutating func refuse(_ line: Int, _ error: any Error, columns: [String]) {
            let reason = (error as? GatewayError)?.message ?? "\(error)"
            refused.append(.init(line: line, column: Self.column(of: reason, among: columns), reason: reason))
        }

        /// The column a validation message is about: the one it starts with (`kind must be one of …`).
        static func column(of reason: String, among columns: [String]) -> String? {
            columns.sorted { $0.count > $1.count }.first { reason.hasPrefix($0 + " ") || reason.hasPrefix("the \($0) ") }
        }
    }

    // MARK: Partners

    private func planPartners(_ file: CSVImportFile, into plan: inout Plan, at now: Date) async throws {
        let stored = try await program.partners()
        for row in file.rows {
            do {
                var partner = try ProgramValidation.partner(
                    PartnerInput(
                        name: row["name"], kind: row["kind"], specialty: row["specialty"], payoutForm: row["payout_form"], email: row["email"],
                        domains: Self.list(row["domains"])), at: now)
                guard plan.first(partner.name, line: row.line) else { continue }
                let existing = stored.first { $0.name.lowercased() == partner.name.lowercased() }
                    ?? partner.email.flatMap { email in stored.first { $0.email?.lowercased() == email.lowercased() } }
                guard let existing else {
                    plan.outcomes.append(.init(line: row.line, action: .created, key: partner.name))
                    plan.changes.newPartners.append(partner)
                    continue
                }
                partner.id = existing.id
                partner.vendorIDs = existing.vendorIDs
                partner.createdAt = existing.createdAt
                // A spreadsheet says nothing about deactivation: re-importing keeps it.
                partner.deactivatedAt = existing.deactivatedAt
                if partner == existing {
                    plan.outcomes.append(.init(line: row.line, action: .unchanged, key: partner.name))
                } else {
                    plan.outcomes.append(.init(line: row.line, action: .changed, key: partner.name))
                    plan.changes.changedPartners.append(partner)
                }
            } catch {
                plan.refuse(row.line, error, columns: ImportKind.partners.columns)
            }
        }
    }

    // MARK: Referrals

    private func planReferrals(_ file: CSVImportFile, into plan: inout Plan, at now: Date) async throws {
        let partners = try await program.partners()
        let plans = try await program.plans()
        let stored = try await store.program.referrals().map(\.referral)
        for row in file.rows {
            do {
                let partner = try Self.partner(named: row["partner"], in: partners)
                guard let planName = row["plan"], let planID = plans.first(where: { $0.name.lowercased() == planName.lowercased() })?.id else {
                    throw GatewayError.invalid("plan \(row["plan"] ?? "") does not exist (plans are matched by name)")
                }
                let givenDay = try DateInput.parseIfPresent(row["introduced_on"], field: "introduced_on")
                let introduced = givenDay ?? now
                let status = try ProgramValidation.choice(row["status"] ?? "introduced", "status", Referral.Status.self)
                let referral = try ProgramValidation.referral(
                    ReferralInput(
                        partnerID: partner.id.rawValue, planID: planID.rawValue, prospectName: row["prospect"], domains: Self.list(row["domains"]),
                        contactEmails: Self.list(row["emails"]), vendorIDs: try Self.vendorIDs(row["vendor_ids"]), referralCode: row["referral_code"],
                        introducedAt: introduced.formatted(.iso8601)), at: now)
                try ProgramValidation.notSelfReferral(referral, by: partner)
                let day = introduced.formatted(.iso8601.year().month().day())
                let key = "\(partner.name) · \(referral.domains.first ?? referral.prospectName) · \(day)"
                guard plan.first(key, line: row.line) else { continue }
                // Matched on the introduction's day; a row without one matches the partner's
                // referral of that prospect whenever it was introduced (its day was "today" once).
                let existing = stored.first { candidate in
                    candidate.partnerID == partner.id
                        && (givenDay == nil || Self.sameDay(candidate.introducedAt, referral.introducedAt))
                        && (candidate.domains.first ?? candidate.prospectName).lowercased() == (referral.domains.first ?? referral.prospectName).lowercased()
                }
                let reason = row["lost_reason"]
                guard let existing else {
                    try ProgramValidation.takesReferrals(partner)
                    plan.outcomes.append(.init(line: row.line, action: .created, key: key))
                    plan.changes.newReferrals.append(
                        .init(referral: referral, flags: try await program.flags(for: referral), status: Self.change(to: status, reason: reason, on: referral.introducedAt)))
                    continue
                }
                let recorded: Referral.Status = existing.lostAt != nil ? .lost : existing.qualifiedAt != nil ? .qualified : .introduced
                if existing.planID != planID || existing.contactEmails != referral.contactEmails || existing.vendorIDs != referral.vendorIDs
                    || existing.domains != referral.domains || existing.referralCode != referral.referralCode
                    || existing.prospectName != referral.prospectName
                {
                    throw GatewayError.invalid(
                        "referral \(existing.id) exists with another prospect name, plan, domains, emails, vendor ids or referral code; change those through the API, not an import")
                }
                if recorded == .lost, status == .qualified {
                    throw GatewayError.invalid("status cannot reopen referral \(existing.id): it is lost, and an import does not reopen a lost referral")
                }
                // Only a status the sheet moved on (qualified, lost) changes a stored referral.
                if status == recorded || status == .introduced || status == .signed || status == .expired {
                    plan.outcomes.append(.init(line: row.line, action: .unchanged, key: key))
                } else {
                    plan.outcomes.append(.init(line: row.line, action: .changed, key: key))
                    if let change = Self.change(to: status, reason: reason, on: now) { plan.changes.statusChanges.append((existing.id, change)) }
                }
            } catch {
                plan.refuse(row.line, error, columns: ImportKind.referrals.columns)
            }
        }
    }

    /// The status the sheet says the referral reached, as the program records it: qualified or
    /// lost (signed comes from the billing and PSA events, and introduced is where every referral
    /// starts).
    private static func change(to status: Referral.Status, reason: String?, on date: Date) -> ProgramChanges.StatusChange? {
        switch status {
        case .qualified: .qualified(on: date)
        case .lost: .lost(on: date, reason: reason ?? "")
        default: nil
        }
    }

    // MARK: Outbound referrals

    private func planOutbound(_ file: CSVImportFile, into plan: inout Plan, at now: Date) async throws {
        let partners = try await program.partners()
        let stored = try await program.outboundReferrals()
        for row in file.rows {
            do {
                let partner = try Self.partner(named: row["partner"], in: partners)
                let sent = try DateInput.parse(row["sent_on"] ?? "", field: "sent_on")
                var referral = try ProgramValidation.outboundReferral(
                    OutboundReferralInput(
                        partnerID: partner.id.rawValue, clientName: row["client"], referredAt: sent.formatted(.iso8601),
                        monthlyValue: try Self.money(row["monthly_value"], currency: row["currency"])), at: now)
                let key = "\(partner.name) · \(referral.clientName) · \(sent.formatted(.iso8601.year().month().day()))"
                guard plan.first(key, line: row.line) else { continue }
                guard let existing = stored.first(where: {
                    $0.partnerID == partner.id && $0.referredAt == sent && $0.clientName.lowercased() == referral.clientName.lowercased()
                }) else {
                    plan.outcomes.append(.init(line: row.line, action: .created, key: key))
                    plan.changes.newOutboundReferrals.append(referral)
                    continue
                }
                referral.id = existing.id
                referral.note = existing.note
                if referral.monthlyValue == existing.monthlyValue {
                    plan.outcomes.append(.init(line: row.line, action: .unchanged, key: key))
                } else {
                    plan.outcomes.append(.init(line: row.line, action: .changed, key: key))
                    plan.changes.changedOutboundReferrals.append(referral)
                }
            } catch {
                plan.refuse(row.line, error, columns: ImportKind.outbound.columns)
            }
        }
    }

    // MARK: Client reviews

    private func planReviews(_ file: CSVImportFile, into plan: inout Plan, at now: Date) async throws {
        let roster = try await store.reports.clientRoster()
        let stored = try await program.clientReviews()
        for row in file.rows {
            do {
                let reviewed = try DateInput.parse(row["reviewed_on"] ?? "", field: "reviewed_on")
                var review = try ProgramValidation.clientReview(
                    ClientReviewInput(client: row["client"], reviewedOn: reviewed.formatted(.iso8601), outcome: row["outcome"], note: row["note"]),
                    at: now)
                guard roster.client(review.client) != nil else {
                    throw GatewayError.invalid("client \(review.client) is not in the roster (use a key from GET /admin/clients)")
                }
                let key = "\(review.client) · \(reviewed.formatted(.iso8601.year().month().day()))"
                guard plan.first(key, line: row.line) else { continue }
                guard let existing = stored.first(where: { $0.client == review.client && $0.reviewedOn == reviewed }) else {
                    plan.outcomes.append(.init(line: row.line, action: .created, key: key))
                    plan.changes.newClientReviews.append(review)
                    continue
                }
                review.id = existing.id
                if review.outcome == existing.outcome && review.note == existing.note {
                    plan.outcomes.append(.init(line: row.line, action: .unchanged, key: key))
                } else {
                    plan.outcomes.append(.init(line: row.line, action: .changed, key: key))
                    plan.changes.changedClientReviews.append(review)
                }
            } catch {
                plan.refuse(row.line, error, columns: ImportKind.reviews.columns)
            }
        }
    }

    // MARK: Cells

    private static func sameDay(_ a: Date, _ b: Date) -> Bool {
        Calendar.reports.isDate(a, inSameDayAs: b)
    }

    private static func partner(named name: String?, in partners: [Partner]) throws(GatewayError) -> Partner {
        guard let name, let partner = partners.first(where: { $0.name.lowercased() == name.lowercased() }) else {
            throw .invalid("partner \(name ?? "") does not exist (partners are matched by name; import partners first)")
        }
        return partner
    }

    /// `a.example; b.example` as a list (empty cells as none).
    private static func list(_ cell: String?) -> [String]? {
        cell.map { $0.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    /// `stripe:cus_1; connectwise:250` as vendor ids by source.
    private static func vendorIDs(_ cell: String?) throws(GatewayError) -> [String: String]? {
        guard let items = list(cell) else { return nil }
        var ids: [String: String] = [:]
        for item in items {
            let parts = item.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw .invalid("vendor_ids must be source:id pairs separated by ';', e.g. stripe:cus_1; connectwise:250")
            }
            ids[parts[0]] = parts[1]
        }
        return ids
    }

    /// `1499.00` in `currency` (both or neither).
    private static func money(_ amount: String?, currency: String?) throws(GatewayError) -> Money? {
        guard let amount else { return nil }
        guard let code = currency.flatMap({ CurrencyCode($0.uppercased()) }) else {
            throw .invalid("currency must be an ISO 4217 code beside monthly_value, e.g. USD")
        }
        guard let number = Decimal(string: amount, locale: Locale(identifier: "en_US_POSIX")), let money = Money(decimal: number, currency: code) else {
            throw .invalid("monthly_value must be an amount such as 1499.00 (at most \(code)'s decimals)")
        }
        return money
    }
}
