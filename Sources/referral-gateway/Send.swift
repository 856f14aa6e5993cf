import ArgumentParser
import AsyncHTTPClient
import Foundation
import GatewayAdapters
import NIOCore
import NIOHTTP1

/// `referral-gateway send`: signs a fixture the way its vendor would and posts it to a gateway.
struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign a fixture as its vendor would and POST it to a gateway.",
        discussion: "The source is the fixture's folder name (fixtures/stripe/… → stripe) unless --source says otherwise.")

    @Argument(help: "The payload file to send, e.g. fixtures/stripe/invoice.paid.json.")
    var fixture: String

    @Option(help: "Signing secret; defaults to the first of GATEWAY_<SOURCE>_SECRETS.")
    var secret: String?

    @Option(help: "Base URL of the gateway.")
    var to: String = "http://127.0.0.1:8080"

    @Option(help: "Source name (the adapter to sign with and the route to post to).")
    var source: String?

    @Option(help: "Directory of adapter definitions. (env: GATEWAY_ADAPTERS_DIR)")
    var adaptersDir: String = ProcessInfo.processInfo.environment["GATEWAY_ADAPTERS_DIR"] ?? "adapters"

    func run() async throws {
        let file = URL(fileURLWithPath: fixture)
        let source = source ?? file.deletingLastPathComponent().lastPathComponent
        let catalog = try AdapterCatalog.load(directory: URL(fileURLWithPath: adaptersDir))
        guard let adapter = catalog[source] else {
            throw ValidationError("no adapter for source '\(source)' in \(adaptersDir); pass --source")
        }
        guard !(adapter.scheme is PollerScheme) else {
            throw ValidationError("'\(source)' is fed by the gateway's poller and takes no webhooks")
        }
        guard let secret = secret.map(Secret.init) ?? Environment.secrets(for: source).first else {
            throw ValidationError("pass --secret or set \(Secret.environmentVariable(for: source))")
        }
        if let refusal = adapter.scheme.signingRefusal(for: secret) {
            throw ValidationError("cannot sign for '\(source)': \(refusal); pass --secret")
        }
        let body = try Data(contentsOf: file)

        var request = HTTPClientRequest(url: "\(to.trimmingSuffix("/"))/webhooks/\(source)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in adapter.scheme.sign(body: body, secret: secret, at: Date()) {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(bytes: body))

        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let answer = try await response.body.collect(upTo: 1 << 20)
        print("\(response.status.code) \(String(buffer: answer))")
        if !(200..<300).contains(response.status.code) {
            throw ExitCode.failure
        }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
