import Foundation

/// A store's tables, row by row, for `store copy`: moving a whole store from SQLite to PostgreSQL or
/// back. Each store reads and writes its own SQL; rows travel between them as `TransferValue`s,
/// and the engine's `StoreCopy` decides the order, checks and verification.
///
/// A store being filled carries a `StoreCopyMarker` from before its first row until the copy is
/// verified, so a copy that stopped half-way is never taken for a whole store.
public protocol StoreTransfer: Sendable {
    /// Where the data is, for messages (never a password).
    var location: String { get }
    /// How an admin empties this store to copy into it again, for a message that refuses it.
    var emptyingAdvice: String { get }

    /// Every table of the gateway's data (not the migration bookkeeping, not the copy marker).
    func transferTables() async throws -> [TransferTable]
    func rowCount(of table: String) async throws -> Int
    /// Up to `limit` rows of `table` after `cursor` (from the start when `nil`), in key order.
    func exportRows(of table: String, after cursor: TransferCursor?, limit: Int) async throws -> TransferPage
    /// The highest row id `table`'s identity ever handed out (it can be above the highest row
    /// left), or `nil` for a table without one.
    func identityHighWater(of table: String) async throws -> Int64?

    /// Readies `table` for the copied rows: a table the store keeps by triggers is emptied of what
    /// the triggers wrote while its source table was copied, so the source's rows land as they were.
    func beginImport(into table: String) async throws
    /// Inserts `rows` (values in `columns`' order) into `table`, with their ids, in one transaction.
    func importRows(_ rows: [[TransferValue]], columns: [String], into table: String) async throws
    /// Sets `table`'s identity so the next row gets an id above every copied one and above
    /// `highWater`, the source's (ids are never handed out twice).
    func finishImport(into table: String, identityHighWater highWater: Int64?) async throws

    /// The marker of an unfinished copy into this store, if it carries one.
    func copyMarker() async throws -> StoreCopyMarker?
    /// Marks this store as being filled by a copy.
    /// - Throws: `GatewayError.conflict` when it already carries a marker.
    func placeCopyMarker(_ marker: StoreCopyMarker) async throws
    /// Clears the marker once the copy is verified.
    func removeCopyMarker() async throws
}
