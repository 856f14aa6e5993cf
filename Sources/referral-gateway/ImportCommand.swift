public import ArgumentParser
import Foundation
import GatewayCore
public import GatewayEngine

extension ImportKind: ExpressibleByArgument {}

/// `referral-gateway import partners|referrals|outbound|reviews FILE [--dry-run]`: the program
/// from a spreadsheet, checked whole before anything is written.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import partners, referrals, outbound referrals or client reviews from a CSV file (columns: docs/imports.md).")

    @Argument(help: "partners, referrals, outbound or reviews.") var kind: ImportKind
    @Argument(help: "The CSV file (UTF-8, comma-separated, a header row).") var file: String
    @Flag(help: "Report what would be created, changed and refused; write nothing.") var dryRun = false
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        let data: Data
        do {
            // The size is checked before the file is read, so a huge file is refused, not loaded.
            let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int ?? 0
            guard size <= CSVImportFile.maximumBytes else {
                throw GatewayError.invalid("the file is \(size) bytes; imports are limited to \(CSVImportFile.maximumBytes) bytes (10 MB): split it")
            }
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch let error as GatewayError {
            throw error
        } catch {
            throw ValidationError("cannot read \(file)")
        }
        let report = try await ImportService(store: try await storage.openStore()).run(kind, data, dryRun: dryRun, at: Date())
        Output.print(report)
        guard report.refused.isEmpty else {
            throw GatewayError.invalid("nothing was imported: \(report.refusalSummary)")
        }
    }
}
