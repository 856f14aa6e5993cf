import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// The browser harness against a tiny sign-in app served live on loopback: a real headless
/// Chromium fills a form, follows the redirect, stores a `Secure; HttpOnly; SameSite=Strict`
/// cookie on plain http://127.0.0.1 and sends it back.
@Suite struct BrowserHarnessTests {
    static let sessionToken = "session-token-0001"
    static let formToken = "form-token-0001"

    struct SignIn: Decodable {
        var user: String
        var password: String
        var csrf: String
    }

    static func page(_ status: HTTPResponse.Status = .ok, title: String, _ body: String) -> Response {
        let html = """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>\(title)</title></head>
            <body>\(body)</body></html>
            """
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static var application: some ApplicationProtocol {
        let router = Router()
        router.get("/login") { _, _ -> Response in
            page(
                title: "Sign in",
                """
                <form method="post" action="/login">
                  <input type="hidden" name="csrf" value="\(formToken)">
                  <label>User <input id="user" name="user" autocomplete="username"></label>
                  <label>Password <input id="password" name="password" type="password"></label>
                  <button id="sign-in" type="submit">Sign in</button>
                </form>
                """)
        }
        router.post("/login") { request, _ -> Response in
            var request = request
            let body = String(buffer: try await request.collectBody(upTo: 4096))
            let form = try URLEncodedFormDecoder().decode(SignIn.self, from: body)
            guard form.csrf == formToken else { return page(.forbidden, title: "Refused", "<p id=\"error\">Bad form token</p>") }
            guard form.user == "alice", form.password == "correct horse" else {
                return page(.unauthorized, title: "Sign in", "<p id=\"error\">Wrong user or password</p>")
            }
            var response = Response.redirect(to: "/private", type: .normal)
            response.setCookie(Cookie(name: "session", value: sessionToken, path: "/", secure: true, httpOnly: true, sameSite: .strict))
            return response
        }
        router.get("/private") { request, _ -> Response in
            guard request.cookies["session"]?.value == sessionToken else {
                return page(.forbidden, title: "Not signed in", "<p id=\"state\">Not signed in</p>")
            }
            return page(title: "Private", "<h1 id=\"welcome\">Welcome, alice</h1><p id=\"secret\">the private figures</p>")
        }
        return Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: Logger(label: "browser-harness", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @Test(.timeLimit(.minutes(2)))
    func signingInThroughTheFormStoresASecureHttpOnlyCookieAndShowsThePrivatePage() async throws {
        try await Self.application.test(.live) { client in
            let port = try #require(client.port)
            let base = "http://127.0.0.1:\(port)"
            try await withBrowser { browser in
                // Without the cookie the private page shows nothing private.
                try await browser.navigate(to: "\(base)/private")
                #expect(try await browser.title() == "Not signed in")
                #expect(try await !browser.pageSource().contains("private figures"))
                #expect(try await browser.cookies().isEmpty)

                try await browser.navigate(to: "\(base)/login")
                #expect(try await browser.title() == "Sign in")
                try await browser.fill("#user", with: "alice")
                try await browser.fill("#password", with: "correct horse")
                #expect(try await browser.findElement("#user").property("value") == "alice")
                try await browser.click("#sign-in")

                // The POST answered 303 with the cookie; the browser followed it to /private and sent it.
                try await browser.waitUntil("the private page") { try await browser.currentURL() == "\(base)/private" }
                #expect(try await browser.title() == "Private")
                #expect(try await browser.text(of: "#welcome") == "Welcome, alice")
                #expect(try await browser.pageSource().contains("the private figures"))

                // Chromium stored the Secure cookie over plain HTTP: 127.0.0.1 counts as a secure context.
                let cookie = try #require(try await browser.cookie(named: "session"), "the browser kept no session cookie")
                #expect(cookie.value == Self.sessionToken)
                #expect(cookie.secure)
                #expect(cookie.httpOnly)
                #expect(cookie.sameSite == "Strict")
                #expect(cookie.path == "/")
                #expect(cookie.domain == "127.0.0.1")
                #expect(cookie.expiry == nil, "a session cookie, gone when the browser closes")
                // HttpOnly: the page's scripts cannot read it.
                #expect(try await browser.execute("return document.cookie") == "")

                // And it keeps working on the next load; deleting it signs out.
                try await browser.refresh()
                #expect(try await browser.text(of: "#welcome") == "Welcome, alice")
                try await browser.deleteAllCookies()
                try await browser.navigate(to: "\(base)/private")
                #expect(try await browser.text(of: "#state") == "Not signed in")
            }
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func aWrongPasswordStaysOnTheFormAndSetsNoCookie() async throws {
        try await Self.application.test(.live) { client in
            let port = try #require(client.port)
            try await withBrowser { browser in
                try await browser.navigate(to: "http://127.0.0.1:\(port)/login")
                try await browser.fill("#user", with: "alice")
                try await browser.fill("#password", with: "wrong")
                try await browser.click("#sign-in")
                let error = try await browser.waitForElement("#error")
                #expect(try await error.text() == "Wrong user or password")
                #expect(try await browser.cookies().isEmpty)
                // A selector that matches nothing is a WebDriver error with the W3C code.
                let missing = await #expect(throws: WebDriverError.self) { try await browser.findElement("#welcome") }
                #expect(missing?.error == "no such element")
            }
        }
    }

    @Test func aMissingChromedriverFailsWithHowToInstallIt() async throws {
        let error = await #expect(throws: BrowserHarnessError.self) {
            try await withBrowser(BrowserOptions(chromedriver: "/nonexistent/chromedriver")) { _ in }
        }
        let message = try #require(error).description
        #expect(message.contains("/nonexistent/chromedriver"))
        #expect(message.contains("apt-get install -y --no-install-recommends chromium chromium-driver"))
        #expect(message.contains("CHROMEDRIVER"))
    }
}
