import Foundation
import GatewayCore
import GatewayEngine
import Hummingbird
import MultipartKit
import NIOCore

/// The console's import form, a `multipart/form-data` post: the file chosen to preview, or the
/// previewed file carried back (base64) to apply.
struct ImportUpload {
    var csrf: String
    var kind: String
    var file: Data
    var apply: Bool

    private struct Fields: Decodable {
        var csrf: String?
        var kind: String?
        var file: Data?
        var content: String?
        var apply: String?
    }

    init(_ request: Request) async throws {
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("multipart/form-data"),
            let boundary = type.split(separator: ";").lazy.map({ $0.trimmingCharacters(in: .whitespaces) })
                .first(where: { $0.lowercased().hasPrefix("boundary=") }).map({ String($0.dropFirst("boundary=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) })
        else { throw GatewayError.invalid("the import form must be sent as multipart/form-data") }
        // The carried-back file is base64: a third larger than the file itself.
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: CSVImportFile.maximumBytes * 2)
        } catch {
            throw GatewayError.invalid("the file is larger than \(CSVImportFile.maximumBytes) bytes (10 MB): split it")
        }
        let fields: Fields
        do {
            fields = try FormDataDecoder().decode(Fields.self, from: body, boundary: boundary)
        } catch {
            throw GatewayError.invalid("the import form could not be read")
        }
        csrf = fields.csrf ?? ""
        kind = fields.kind ?? ""
        apply = fields.apply == "yes"
        if let file = fields.file, !file.isEmpty {
            self.file = file
        } else if let content = fields.content, let carried = Data(base64Encoded: content) {
            self.file = carried
        } else {
            throw GatewayError.invalid("choose a CSV file to import")
        }
    }
}
