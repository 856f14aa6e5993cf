import Foundation
import GatewayCore
import GatewayEngine
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The admin API and the command line refuse the same bad inputs, for the same reason, and
/// write nothing: both call the engine's one validation.
@Suite struct BadInputTableTests {
    struct BadInput: Sendable, CustomTestStringConvertible {
        var name: String
        var method: HTTPRequest.Method = .post
        var path: String
        var body: String
        var command: [String]
        var status: HTTPResponse.Status
        /// What the API's `reason` and the command's standard error both say.
        var reason: String

        var testDescription: String { name }
    }

    static let rule = #""rules":[{"type":"recurring_share","steps":[{"rate_bps":1000}]}]"#

    static let table: [BadInput] = [
        BadInput(
            name: "an empty partner name", path: "/admin/partners", body: #"{"name":"  ","kind":"client"}"#,
            command: ["partners", "add", "--name", "", "--kind", "client"], status: .badRequest, reason: "name must not be empty"),
        BadInput(
            name: "an unknown partner kind", path: "/admin/partners", body: #"{"name":"Wizards Ltd","kind":"wizard"}"#,
            command: ["partners", "add", "--name", "Wizards Ltd", "--kind", "wizard"], status: .badRequest, reason: "kind must be one of client"),
        BadInput(
            name: "a claim share of 0", path: "/admin/referrals", body: #"{"partner_id":1,"plan_id":1,"prospect_name":"Y Co","claim_share":0}"#,
            command: ["referrals", "add", "--partner", "1", "--plan", "1", "--prospect", "Y Co", "--share", "0"], status: .badRequest,
            reason: "claim_share must be above 0 and at most 1"),
        BadInput(
            name: "a claim share above 1", path: "/admin/referrals",
            body: #"{"partner_id":1,"plan_id":1,"prospect_name":"Y Co","claim_share":1.5}"#,
            command: ["referrals", "add", "--partner", "1", "--plan", "1", "--prospect", "Y Co", "--share", "1.5"], status: .badRequest,
            reason: "claim_share must be above 0 and at most 1"),
        BadInput(
            name: "negative hold days", path: "/admin/plans", body: #"{"name":"Held",\#(rule),"hold_days":-1}"#,
            command: ["plans", "add", "--name", "Held", "--rate", "10%", "--hold-days=-1"], status: .badRequest, reason: "hold_days must be 0 or more"),
        BadInput(
            name: "a negative attribution window", path: "/admin/plans", body: #"{"name":"Windowless",\#(rule),"attribution_window_days":-5}"#,
            command: ["plans", "add", "--name", "Windowless", "--rate", "10%", "--attribution-window-days=-5"], status: .badRequest,
            reason: "attribution_window_days must be 1 or more"),
        BadInput(
            name: "a rate above 100 %", path: "/admin/plans",
            body: #"{"name":"Generous","rules":[{"type":"recurring_share","steps":[{"rate_bps":15000}]}]}"#,
            command: ["plans", "add", "--name", "Generous", "--rate", "150%"], status: .badRequest,
            reason: "a recurring share's rate must be above 0% and at most 100%, not 150%"),
        BadInput(
            name: "a rate below 0", path: "/admin/plans", body: #"{"name":"Negative","rules":[{"type":"first_year_value","rate_bps":-100}]}"#,
            command: ["plans", "add", "--name", "Negative", "--first-year-rate=-1%"], status: .badRequest,
            reason: "the first-year rate must be above 0% and at most 100%"),
        BadInput(
            name: "a plan version dated before the plan's first", path: "/admin/plans/2/versions",
            body: #"{"effective_from":"2024-06-01",\#(rule)}"#, command: ["plans", "version", "--plan", "2", "--effective", "2024-06-01", "--rate", "10%"],
            status: .badRequest, reason: "is before the plan's first version"),
        BadInput(
            name: "an unknown partner", path: "/admin/referrals", body: #"{"partner_id":99,"plan_id":1,"prospect_name":"Z Co"}"#,
            command: ["referrals", "add", "--partner", "99", "--plan", "1", "--prospect", "Z Co"], status: .notFound,
            reason: "partner 99 does not exist"),
        BadInput(
            name: "an unknown plan", path: "/admin/referrals", body: #"{"partner_id":1,"plan_id":99,"prospect_name":"Z Co"}"#,
            command: ["referrals", "add", "--partner", "1", "--plan", "99", "--prospect", "Z Co"], status: .notFound, reason: "plan 99 does not exist"),
        BadInput(
            name: "a malformed date", path: "/admin/referrals",
            body: #"{"partner_id":1,"plan_id":1,"prospect_name":"Z Co","introduced_at":"2025-13-45"}"#,
            command: ["referrals", "add", "--partner", "1", "--plan", "1", "--prospect", "Z Co", "--introduced", "2025-13-45"], status: .badRequest,
            reason: "introduced_at must be a day (2025-06-01) or an ISO 8601 timestamp"),
        BadInput(
            name: "an override naming an unknown customer", path: "/admin/referrals/1/override",
            body: #"{"customer":"stripe:cus_nobody","reason":"the owner says so"}"#,
            command: ["referrals", "override", "1", "--customer", "stripe:cus_nobody", "--reason", "the owner says so"], status: .notFound,
            reason: "no stored event names customer stripe:cus_nobody"),
        BadInput(
            name: "a give-and-get ratio of 0", method: .put, path: "/admin/settings", body: #"{"give_get_ratio":0}"#,
            command: ["settings", "set", "--give-get-ratio", "0"], status: .badRequest, reason: "give_get_ratio must be 1 to 100"),
        BadInput(
            name: "a give-and-get window of 61 months", method: .put, path: "/admin/settings", body: #"{"give_get_window_months":61}"#,
            command: ["settings", "set", "--give-get-window-months", "61"], status: .badRequest, reason: "give_get_window_months must be 1 to 60"),
        BadInput(
            name: "a go-live date that is not a day", method: .put, path: "/admin/settings", body: #"{"go_live":"2026-13-01"}"#,
            command: ["settings", "set", "--go-live", "2026-13-01"], status: .badRequest,
            reason: "go_live must be a day (2025-06-01) or an ISO 8601 timestamp"),
        BadInput(
            name: "an ask window of 0 days", method: .get, path: "/admin/ask-next?days=0", body: "",
            command: ["reviews", "due", "--days", "0"], status: .badRequest, reason: "ask_window_days must be 1 to 365"),
    ]

    /// What a refused input must leave as it was.
    struct Written: Equatable {
        var partners: Int
        var plans: Int
        var versions: Int
        var referrals: Int
        var audit: Int

        init(_ program: ProgramService) async throws {
            partners = try await program.partners().count
            let plans = try await program.plans()
            self.plans = plans.count
            versions = plans.reduce(0) { $0 + $1.versions.count }
            referrals = try await program.referrals(at: Date()).count
            audit = try await program.auditLog(limit: 10_000).count
        }
    }

    /// Runs the real executable; returns its exit status and standard error.
    static func command(_ arguments: [String]) throws -> (Int32, String) {
        let process = ChildProcess()
        process.executableURL = ServerProcessTests.binary
        process.arguments = arguments
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let data = errors.fileHandleForReading.readAllRetryingInterrupts()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(arguments: table) func theAPIAndTheCommandLineRefuseItAlikeAndWriteNothing(_ bad: BadInput) async throws {
        #expect(FileManager.default.isExecutableFile(atPath: ServerProcessTests.binary.path), "build the executable first: swift build")
        let gateway = try TestGateway()
        try await Stories.brightDental(gateway.program)
        _ = try await gateway.program.addPlan(
            PlanInput(name: "From 2025", terms: PlanTerms(effectiveFrom: try DateInput.parse("2025-01-01", field: "from"), rules: [.finderFee(Money(minorUnits: 25_000, currency: CurrencyCode("USD")!))])),
            at: Date())
        let before = try await Written(gateway.program)

        try await gateway.application.test(.router) { client in
            try await client.execute(uri: bad.path, method: bad.method, headers: TestGateway.adminHeaders, body: ByteBuffer(string: bad.body)) { response in
                #expect(response.status == bad.status)
                let refusal = try [String: String].from(response.body)
                #expect(refusal["reason"]?.contains(bad.reason) == true, "\(refusal)")
            }
        }
        #expect(try await Written(gateway.program) == before)

        let (status, errors) = try Self.command(bad.command + ["--data-dir", gateway.directory.path])
        #expect(status != 0)
        #expect(errors.contains(bad.reason), "\(errors)")
        #expect(try await Written(gateway.program) == before)
    }
}
