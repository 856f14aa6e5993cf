import Foundation
import GatewayAdapters
import GatewayCore
import GatewayHTTP
import GatewayEngine
import GatewayRepositories
import GatewayStore
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The console's guards over HTTP: sign-in, the session cookie's flags, and CSRF on the forms
/// that write. (What the pages show is checked in a real browser, in ConsoleBrowserTests.)
@Suite struct ConsoleRouteTests {
    static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    /// Signs in and returns the session cookie (`rg_console=…`).
    static func signIn(_ client: some TestClientProtocol) async throws -> String {
        try await client.execute(
            uri: "/console/login", method: .post, headers: form, body: ByteBuffer(string: "token=\(TestGateway.adminToken.value)")
        ) { response in
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/console")
            let cookie = try #require(response.headers[.setCookie])
            return String(cookie.prefix { $0 != ";" })
        }
    }

    static func csrf(in html: String) throws -> String {
        let marker = #"name="csrf" value=""#
        let start = try #require(html.range(of: marker)).upperBound
        return String(html[start...].prefix { $0 != "\"" })
    }

    @Test func signingInSetsASecureHttpOnlyStrictCookieAndPagesNeedIt() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            try await client.execute(uri: "/console/partners/1?from=2025-06-01", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/console/login?next=%2Fconsole%2Fpartners%2F1%3Ffrom%3D2025%2D06%2D01")
            }
            // Signing in goes back to the page asked for, and never to another site.
            for (next, expected) in [("%2Fconsole%2Fpayouts", "/console/payouts"), ("https%3A%2F%2Fevil.example", "/console"), ("%2F%2Fevil.example", "/console")] {
                try await client.execute(
                    uri: "/console/login", method: .post, headers: Self.form,
                    body: ByteBuffer(string: "token=\(TestGateway.adminToken.value)&next=\(next)")
                ) { #expect($0.headers[.location] == expected, "\(next)") }
            }
            try await client.execute(uri: "/console/login", method: .post, headers: Self.form, body: ByteBuffer(string: "token=wrong")) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.setCookie] == nil)
                #expect(String(buffer: response.body).contains("That is not an admin token."))
            }
            let setCookie = try await client.execute(
                uri: "/console/login", method: .post, headers: Self.form, body: ByteBuffer(string: "token=\(TestGateway.adminToken.value)")
            ) { try #require($0.headers[.setCookie]) }
            let attributes = Set(setCookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
            #expect(attributes.isSuperset(of: ["secure", "httponly", "samesite=strict", "path=/console"]))

            let cookie = try await Self.signIn(client)
            try await client.execute(uri: "/console", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                #expect(String(buffer: response.body).contains("Program overview"))
            }
            for uri in ["/console/partners/999", "/console/deliveries/999", "/console/payouts/999/bills.csv"] {
                try await client.execute(uri: uri, method: .get, headers: [.cookie: cookie]) { response in
                    #expect(response.status == .notFound, "\(uri)")
                    #expect(response.headers[.contentType] == "text/html; charset=utf-8", "\(uri)")
                }
            }
            try await client.execute(uri: "/console", method: .get, headers: [.cookie: "rg_console=forged"]) { response in
                #expect(response.status == .seeOther)
            }
        }
    }

    @Test func formsThatWriteRefuseAMissingOrForeignCSRFToken() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            _ = try await ReportRouteTests.brightDentalStory(gateway, client)
            let cookie = try await Self.signIn(client)
            let other = try await Self.signIn(client)
            let page = try await client.execute(uri: "/console/payouts", method: .get, headers: [.cookie: cookie]) { String(buffer: $0.body) }
            let token = try Self.csrf(in: page)
            let otherToken = try Self.csrf(in: try await client.execute(uri: "/console/payouts", method: .get, headers: [.cookie: other]) {
                String(buffer: $0.body)
            })
            #expect(token != otherToken)

            var headers = Self.form
            headers[.cookie] = cookie
            for body in ["note=x", "note=x&csrf=\(otherToken)", "note=x&csrf="] {
                try await client.execute(uri: "/console/payouts", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .forbidden, "\(body)")
                }
            }
            #expect(try await gateway.program.payouts().isEmpty)

            try await client.execute(uri: "/console/payouts", method: .post, headers: headers, body: ByteBuffer(string: "note=June&csrf=\(token)")) {
                response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/console/payouts?notice=created-1")
            }
            #expect(try await gateway.program.payouts().map(\.note) == ["June"])

            // The replay form is guarded the same way: without the token nothing is replayed.
            try await client.execute(uri: "/console/deliveries/1/replay", method: .post, headers: headers, body: ByteBuffer(string: "confirm=yes")) {
                #expect($0.status == .forbidden)
            }
            // Signing out needs the token too, and ends the session.
            try await client.execute(uri: "/console/logout", method: .post, headers: headers, body: ByteBuffer(string: "csrf=\(token)")) {
                #expect($0.status == .seeOther)
            }
            try await client.execute(uri: "/console/payouts", method: .get, headers: [.cookie: cookie]) {
                #expect($0.status == .seeOther)
            }
        }
    }

    @Test func aSessionIsKeptInTheStoreSoARestartOrAnotherInstanceKeepsTheAdminSignedIn() async throws {
        let first = try TestGateway()
        let cookie = try await first.application.test(.live) { client in try await Self.signIn(client) }
        // The cookie's value is nowhere in the file: only its SHA-256 is kept.
        let value = String(cookie.dropFirst("rg_console=".count))
        let file = try Data(contentsOf: first.directory.appendingPathComponent("gateway.sqlite"))
        #expect(file.range(of: Data(value.utf8)) == nil)

        let second = try TestGateway(directory: first.directory)
        try await second.application.test(.live) { client in
            try await client.execute(uri: "/console/payouts", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok)
            }
            let page = try await client.execute(uri: "/console/payouts", method: .get, headers: [.cookie: cookie]) { String(buffer: $0.body) }
            var headers = Self.form
            headers[.cookie] = cookie
            try await client.execute(uri: "/console/logout", method: .post, headers: headers, body: ByteBuffer(string: "csrf=\(try Self.csrf(in: page))")) {
                #expect($0.status == .seeOther)
            }
        }
        // Signed out on one instance is signed out on every one.
        try await first.application.test(.live) { client in
            try await client.execute(uri: "/console/payouts", method: .get, headers: [.cookie: cookie]) { #expect($0.status == .seeOther) }
        }
    }

    @Test func theConsoleIsOffWithoutAnAdminToken() async throws {
        let gateway = try TestGateway(adminTokens: [])
        try await gateway.application.test(.live) { client in
            try await client.execute(uri: "/console/login", method: .post, headers: Self.form, body: ByteBuffer(string: "token=")) { response in
                #expect(response.status == .forbidden)
                #expect(response.headers[.setCookie] == nil)
            }
        }
    }
}

extension HTTPField.Name {
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
}
