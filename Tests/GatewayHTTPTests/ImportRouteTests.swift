import Foundation
import GatewayCore
import GatewayEngine
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Imports through the admin API and the command line: the same report, the same refusals.
@Suite struct ImportRouteTests {
    struct Report: Decodable {
        struct Refusal: Decodable {
            var line: Int
            var column: String?
            var reason: String
        }
        var applied: Bool
        var created: Int
        var refused: [Refusal]
    }

    static let csv: HTTPFields = [.authorization: TestGateway.adminHeaders[.authorization]!, .contentType: "text/csv"]

    func post(_ client: some TestClientProtocol, _ uri: String, _ body: String, expect status: HTTPResponse.Status) async throws -> Report {
        try await client.execute(uri: uri, method: .post, headers: Self.csv, body: ByteBuffer(string: body)) { response in
            #expect(response.status == status, "\(uri): \(String(buffer: response.body))")
            return try Report.from(response.body)
        }
    }

    @Test func theAPIAppliesAFileAndRefusesABadOneWhole() async throws {
        let gateway = try TestGateway()
        let partners = String(decoding: try Fixtures.data("imports/partners.csv"), as: UTF8.self)
        try await gateway.application.test(.router) { client in
            let preview = try await post(client, "/admin/imports/partners?dry_run=true", partners, expect: .ok)
            #expect(!preview.applied && preview.created == 3)
            #expect(try await gateway.program.partners().isEmpty)
            let applied = try await post(client, "/admin/imports/partners", partners, expect: .ok)
            #expect(applied.applied && applied.created == 3)

            let bad = "partner,client,sent_on\nAcme Accounting,Dr. Lee,2025-06-15\nNobody,Dr. No,yesterday\n"
            let refused = try await post(client, "/admin/imports/outbound", bad, expect: .unprocessableContent)
            #expect(!refused.applied)
            #expect(refused.refused.map(\.line) == [3])
            #expect(refused.refused.first?.column == "partner")
            #expect(try await gateway.program.outboundReferrals().isEmpty)

            try await client.execute(uri: "/admin/imports/widgets", method: .post, headers: Self.csv, body: ByteBuffer(string: "a\n")) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("kind must be one of partners, referrals, outbound, reviews"))
            }
            try await client.execute(uri: "/admin/imports/partners", method: .post, headers: Self.csv, body: ByteBuffer(string: "name;kind\n")) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("separate columns with commas"))
            }
        }
    }

    @Test func theCommandLineRefusesTheSameFileWithTheSameReasons() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: ServerProcessTests.binary.path), "build the executable first: swift build")
        let gateway = try TestGateway()
        let directory = try TemporaryDirectory(prefix: "import-cli")
        let partners = directory.url.appendingPathComponent("partners.csv")
        try Fixtures.data("imports/partners.csv").write(to: partners)
        let bad = directory.url.appendingPathComponent("outbound.csv")
        try Data("partner,client,sent_on\nNobody,Dr. No,2025-06-15\n".utf8).write(to: bad)
        let data = ["--data-dir", gateway.directory.path]

        #expect(try BadInputTableTests.command(["import", "partners", partners.path] + data).0 == 0)
        #expect(try await gateway.program.partners().count == 3)
        let (status, errors) = try BadInputTableTests.command(["import", "outbound", bad.path] + data)
        #expect(status != 0)
        #expect(errors.contains("nothing was imported: line 2, partner: partner Nobody does not exist"), "\(errors)")
        #expect(try await gateway.program.outboundReferrals().isEmpty)
    }
}
