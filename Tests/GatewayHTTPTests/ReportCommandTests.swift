import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayStore
import GatewayTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// The report commands of the real executable, on the file a live gateway wrote.
@Suite struct ReportCommandTests {
    /// Runs `referral-gateway` with `arguments` and returns its exit status and standard output
    /// (or, with `readingErrors`, its standard error).
    static func run(_ arguments: [String], readingErrors: Bool = false) throws -> (Int32, String) {
        let process = ChildProcess()
        process.executableURL = ServerProcessTests.binary
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = readingErrors ? FileHandle.nullDevice as any Sendable : output
        process.standardError = readingErrors ? output as any Sendable : FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readAllRetryingInterrupts()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func statementPayoutExportMetricsAndReviewsFromTheCommandLine() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: ServerProcessTests.binary.path), "build the executable first: swift build")
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in _ = try await ReportRouteTests.brightDentalStory(gateway, client) }
        let data = ["--data-dir", gateway.directory.path]

        let (status, csv) = try Self.run(["statement", "--partner", "1", "--from", "2025-06-01", "--to", "2025-06-30", "--format", "csv"] + data)
        #expect(status == 0)
        let rows = csv.split(separator: "\r\n")
        #expect(rows.count == 2)
        #expect(rows.last?.contains(",Bright Dental,recurring_share,1,1,499.00,10,49.90,USD,payable,") == true)

        let (htmlStatus, html) = try Self.run(["statement", "--partner", "1", "--from", "2025-06-01", "--to", "2025-06-30", "--format", "html"] + data)
        #expect(htmlStatus == 0 && html.contains("Referral statement: Acme Accounting"))

        #expect(try Self.run(["payouts", "create"] + data).0 == 0)
        let (_, bills) = try Self.run(["payouts", "export", "1", "--part", "bills"] + data)
        #expect(bills.hasPrefix("payee,payee_email,payee_reference,amount,currency,bill_date,memo\r\nAcme Accounting,ap@acme.example,partner-1,49.90,USD,"))

        let (_, metrics) = try Self.run(["metrics", "--from", "2025-05-01", "--to", "2025-06-30"] + data)
        #expect(metrics.contains("\"new_clients\" : 1"))
        #expect(try Self.run(["metrics", "--top-percent", "0"] + data).0 != 0)

        #expect(try Self.run(["reviews", "add", "--client", "domain:brightdental.example", "--outcome", "healthy", "--on", "2025-06-20"] + data).0 == 0)
        #expect(try Self.run(["reviews", "add", "--client", "domain:nobody.example", "--outcome", "healthy"] + data).0 != 0)
        #expect(try await gateway.program.clientReviews().map(\.client) == ["domain:brightdental.example"])
        let (_, kpis) = try Self.run(["reviews", "kpis", "--from", "2025-06-01", "--to", "2025-06-30"] + data)
        // A healthy review without the ask is not health yet: it is counted apart.
        #expect(kpis.contains("\"health_percent\" : 0"))
        #expect(kpis.contains("\"healthy_without_ask_percent\" : 100"))

        // Bright Dental last paid in June 2025: lapsed today, so nobody is due an ask.
        let (dueStatus, due) = try Self.run(["reviews", "due"] + data)
        #expect(dueStatus == 0 && due.filter { !$0.isWhitespace } == "[]")
        // It pays again today and a review today finds it healthy without asking: due now.
        let paid = String(decoding: try TestGateway.fixture("stripe/invoice.paid.json"), as: UTF8.self)
        let today = Data(
            paid.replacingOccurrences(of: "evt_1RZq3LKx7aQ2mN0pV1eT9bYc", with: "evt_today")
                .replacingOccurrences(of: "in_1RZq3HKx7aQ2mN0pXf4sLk2Q", with: "in_today")
                .replacingOccurrences(of: "\"paid_at\": 1748736004", with: "\"paid_at\": \(Int(Date().timeIntervalSince1970))").utf8)
        try await gateway.application.test(.live) { client in
            try await client.execute(uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(today), body: ByteBuffer(bytes: today)) {
                #expect($0.status == .ok)
            }
        }
        try await gateway.processor.drain()
        #expect(try Self.run(["reviews", "add", "--client", "domain:brightdental.example", "--outcome", "healthy"] + data).0 == 0)
        let (_, dueNow) = try Self.run(["reviews", "due"] + data)
        #expect(dueNow.contains("\"client\" : \"domain:brightdental.example\"") && dueNow.contains("\"reason\" : \"reviewed_healthy\""), "\(dueNow)")
        #expect(try Self.run(["reviews", "due", "--days", "0"] + data).0 != 0)
        let (owedStatus, owed) = try Self.run(["give-get", "--owed"] + data)
        #expect(owedStatus == 0 && owed.filter { !$0.isWhitespace } == "[]")
        #expect(try Self.run(["settings", "set", "--give-get-ratio", "0"] + data).0 != 0)
        let (_, settings) = try Self.run(["settings", "set", "--give-get-window-months", "60"] + data)
        #expect(settings.contains("\"give_get_window_months\" : 60") && settings.contains("\"conflict_rule\" : \"first_valid_claim\""))
        let (goLiveStatus, goLive) = try Self.run(["settings", "set", "--go-live", "2026-12-01"] + data)
        #expect(goLiveStatus == 0 && goLive.contains("\"go_live\" : \"2026-12-01T00:00:00Z\"") && goLive.contains("\"give_get_window_months\" : 60"))
        let (_, cleared) = try Self.run(["settings", "set", "--go-live", "none"] + data)
        #expect(!cleared.contains("go_live") && cleared.contains("\"give_get_window_months\" : 60"))
        // Acme's 2025 introduction is inside 60 months, and the MSP sent Acme nothing back.
        let (_, owedNow) = try Self.run(["give-get", "--owed"] + data)
        #expect(owedNow.contains("\"partner_name\" : \"Acme Accounting\""))
    }
}
