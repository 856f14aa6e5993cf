import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayTestSupport
import Testing

/// CSV imports on a real store: the example files in `fixtures/imports/`, re-imports, changes,
/// and every way a file can be wrong.
@Suite struct ImportTests {
    static let now = Events.date("2025-07-15")

    /// A store with the plan the example referrals name, and Bright Dental as a paying client.
    static func store() async throws -> TemporaryStore {
        let temporary = try TemporaryStore()
        _ = try await temporary.program.addPlan(
            PlanInput(name: "COI 10%", terms: PlanTerms(rules: [.recurringShare(rate: BasisPoints(1000), months: 12)])), at: now)
        try await YearStory.settle(Events.paid("in_1", dollars: 499, on: "2025-07-01"), id: "evt_1", into: temporary.store)
        return temporary
    }

    static func run(_ kind: ImportKind, _ text: String, dryRun: Bool = false, in temporary: TemporaryStore) async throws -> ImportReport {
        try await ImportService(store: temporary.store).run(kind, Data(text.utf8), dryRun: dryRun, at: now)
    }

    static func example(_ name: String) throws -> String {
        String(decoding: try Fixtures.data("imports/\(name).csv"), as: UTF8.self)
    }

    @Test func theExampleFilesImportAndImportingThemAgainChangesNothing() async throws {
        let temporary = try await Self.store()
        for kind in ImportKind.allCases {
            let report = try await Self.run(kind, try Self.example(kind.rawValue), in: temporary)
            #expect(report.refused.isEmpty, "\(kind): \(report.refusalSummary)")
            #expect(report.applied && report.created == report.rows.count && report.created > 0, "\(kind)")
        }
        let partners = try await temporary.program.partners()
        #expect(partners.map(\.name) == ["Acme Accounting", "Harbor Law", "Happy Client Co"])
        #expect(partners[2].domains == ["happy.example", "happyclient.example"])
        let referrals = try await temporary.program.referrals(at: Self.now)
        #expect(referrals.map(\.referral.prospectName) == ["Bright Dental", "Shoreline Dental, PLLC", "Pacific Title", "Northwind Vets"])
        #expect(referrals.map(\.status) == [.signed, .qualified, .lost, .introduced])
        #expect(referrals[0].referral.vendorIDs == ["stripe": "cus_SUq8vD3kLm2NpQ"])
        let outbound = try await temporary.program.outboundReferrals()
        #expect(outbound.map(\.monthlyValue) == [Money(minorUnits: 30_000, currency: Events.usd), nil])
        let reviews = try await temporary.program.clientReviews()
        #expect(reviews.map(\.note) == ["Asked about their landlord;\nthey will introduce us"])

        let audit = try await temporary.program.auditLog(limit: 1_000).count
        for kind in ImportKind.allCases {
            let again = try await Self.run(kind, try Self.example(kind.rawValue), in: temporary)
            #expect(again.unchanged == again.rows.count && again.created == 0 && again.changed == 0, "\(kind)")
        }
        #expect(try await temporary.program.auditLog(limit: 1_000).count == audit)
    }

    @Test func aChangedRowUpdatesAndADryRunWritesNothing() async throws {
        let temporary = try await Self.store()
        _ = try await Self.run(.partners, try Self.example("partners"), in: temporary)
        let changed = try Self.example("partners").replacingOccurrences(of: "attorney,office@harborlaw.example,reciprocal_only", with: "attorney,office@harborlaw.example,cash")
        let preview = try await Self.run(.partners, changed, dryRun: true, in: temporary)
        #expect(preview.changed == 1 && preview.unchanged == 2 && !preview.applied)
        #expect(try await temporary.program.partners()[1].payoutForm == .reciprocalOnly)
        let applied = try await Self.run(.partners, changed, in: temporary)
        #expect(applied.rows.map(\.action) == [.unchanged, .changed, .unchanged])
        #expect(try await temporary.program.partners()[1].payoutForm == .cash)

        // A referral the sheet now says was lost.
        _ = try await Self.run(.referrals, try Self.example("referrals"), in: temporary)
        let lost = try Self.example("referrals").replacingOccurrences(of: "2025-07-01,introduced,,", with: "2025-07-01,lost,went with a cheaper MSP,")
        let report = try await Self.run(.referrals, lost, in: temporary)
        #expect(report.changed == 1)
        #expect(try await temporary.program.referrals(at: Self.now).last?.status == .lost)
    }

    @Test func aReferralWithoutAnIntroductionDayIsMatchedOnReImport() async throws {
        let temporary = try await Self.store()
        _ = try await Self.run(.partners, try Self.example("partners"), in: temporary)
        let file = "partner,prospect,domains,plan\nAcme Accounting,Undated Co,undated.example,COI 10%\n"
        #expect(try await Self.run(.referrals, file, in: temporary).created == 1)
        let later = try await ImportService(store: temporary.store).run(.referrals, Data(file.utf8), dryRun: false, at: Self.now.addingTimeInterval(86_400))
        #expect(later.unchanged == 1 && later.created == 0)
        #expect(try await temporary.program.referrals(at: Self.now).count == 1)
        // A stored lost referral is not reopened by a sheet that says qualified.
        let lost = "partner,prospect,domains,plan,status\nAcme Accounting,Undated Co,undated.example,COI 10%,lost\n"
        #expect(try await Self.run(.referrals, lost, in: temporary).changed == 1)
        let reopen = try await Self.run(.referrals, lost.replacingOccurrences(of: ",lost", with: ",qualified"), in: temporary)
        #expect(reopen.refused.map(\.column) == ["status"])
    }

    @Test func everyBadRowIsReportedWithItsLineAndColumnAndNothingIsWritten() async throws {
        let temporary = try await Self.store()
        _ = try await Self.run(.partners, try Self.example("partners"), in: temporary)
        let file = """
            partner,prospect,introduced_on,plan,notes_ignored
            """
        // An unknown column is refused by name, before any row.
        let unknown = await #expect(throws: GatewayError.self) { _ = try await Self.run(.referrals, file, in: temporary) }
        #expect(unknown?.message.hasPrefix("unknown column \"notes_ignored\"") == true)

        let bad = "Partner,Prospect,Domains,Introduced_On,Plan\r\n"
            + "Acme Accounting,\"Two\nLines Co\",two.example,2025-05-20,COI 10%\r\n"  // lines 2 and 3: fine
            + "Acme Accounting,Bad Date Co,bad.example,2025-13-45,COI 10%\r\n"  // line 4
            + "Nobody Partners,Ghost Co,ghost.example,2025-05-20,COI 10%\r\n"  // line 5
            + "Acme Accounting,Ourselves,acme-cpa.example,2025-05-20,COI 10%\r\n"  // line 6: the partner's own domain
            + "Acme Accounting,No Plan Co,noplan.example,2025-05-20,Platinum\r\n"  // line 7
        let report = try await Self.run(.referrals, bad, in: temporary)
        #expect(!report.applied)
        #expect(report.refused.map(\.line) == [4, 5, 6, 7])
        #expect(report.refused.map(\.column) == ["introduced_on", "partner", nil, "plan"])
        #expect(report.refused[0].reason == "introduced_on must be a day (2025-06-01) or an ISO 8601 timestamp, not '2025-13-45'")
        #expect(report.refused[2].reason.hasPrefix("self-referral"))
        #expect(try await temporary.program.referrals(at: Self.now).isEmpty)

        // Fixed, the same file imports.
        let fixed = bad.replacingOccurrences(of: "2025-13-45", with: "2025-05-21").replacingOccurrences(of: "Nobody Partners", with: "Harbor Law")
            .replacingOccurrences(of: "Ourselves,acme-cpa.example", with: "Elsewhere,elsewhere.example").replacingOccurrences(of: "Platinum", with: "coi 10%")
        #expect(try await Self.run(.referrals, fixed, in: temporary).created == 5)
    }

    @Test func filesThatAreNotCSVOfTheKindAreRefusedWithTheReason() async throws {
        let temporary = try await Self.store()
        func reason(_ data: Data, _ kind: ImportKind = .partners) async -> String? {
            do {
                _ = try await ImportService(store: temporary.store).run(kind, data, dryRun: false, at: Self.now)
                return nil
            } catch let error as GatewayError {
                return error.message
            } catch {
                return "\(error)"
            }
        }
        #expect(await reason(Data("name;kind\nAcme;client\n".utf8)) == "the header is one column, \"name;kind\": separate columns with commas, not semicolons or tabs")
        #expect(await reason(Data("name,email\nAcme,a@b.example\n".utf8)) == "the required column \"kind\" is missing")
        #expect(await reason(Data("name,kind,shoe_size\nAcme,client,9\n".utf8))?.hasPrefix("unknown column \"shoe_size\"") == true)
        var latin1 = Data("name,kind\nAcme,client\nCaf".utf8)
        latin1.append(0xE9)  // é in Latin-1
        latin1.append(contentsOf: Data(",client\n".utf8))
        #expect(await reason(latin1) == "the file is not UTF-8 text (line 3); save it as CSV UTF-8")
        #expect(await reason(Data(count: CSVImportFile.maximumBytes + 1))?.hasSuffix("split it") == true)
        #expect(try await temporary.program.partners().isEmpty)

        // A byte-order mark (Excel's "CSV UTF-8") is accepted.
        let bom = Data([0xEF, 0xBB, 0xBF]) + Data("Name,Kind\nCafé Partners,client\n".utf8)
        #expect(await reason(bom) == nil)
        #expect(try await temporary.program.partners().map(\.name) == ["Café Partners"])
    }
}
