import ArgumentParser
import Foundation
import GatewayEngine
import GatewayStore

/// `referral-gateway backup --to FILE`: an online, consistent copy of the store while the server
/// keeps receiving.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Copy the live store to a new file, consistently, while the gateway keeps running.")

    @Option(help: "The backup file to write; it must not exist.") var to: String
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        try storage.requireSQLite("backup", instead: "use pg_dump")
        let store = try SQLiteStore(directory: URL(fileURLWithPath: storage.dataDir), outboundEvents: OutboundEvents())
        Output.print(try await store.backup(to: to))
    }
}

/// `referral-gateway restore --from FILE`: a backup made into the data directory's store.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup as the data directory's store. Stop the gateway first.",
        discussion: "A store already in the data directory is refused, or with --replace moved aside (never deleted).")

    @Option(help: "The backup file.") var from: String
    @Flag(help: "Set the existing store aside and restore over it.") var replace = false
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        try storage.requireSQLite("restore", instead: "use pg_restore")
        Output.print(try SQLiteStore.restore(from: from, into: URL(fileURLWithPath: storage.dataDir), replacing: replace, at: Date()))
    }
}
