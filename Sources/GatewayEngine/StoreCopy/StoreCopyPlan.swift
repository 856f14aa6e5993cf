public import GatewayCore
public import GatewayRepositories

/// Which tables a store copy moves, in which order: every table of the source, each after the
/// tables it depends on (what its foreign keys name, what its triggers are fed from), so the
/// target's constraints hold at every insert. Pure: the two stores' catalogues in, the order out.
public struct StoreCopyPlan: Sendable, Hashable {
    /// The tables in copying order.
    public var tables: [TransferTable]

    /// - Throws: `GatewayError.invalid` when the two stores' schemas differ (a table or a column
    ///   one has and the other lacks), or the dependencies go round in a circle.
    public init(source: [TransferTable], target: [TransferTable], sourceLocation: String, targetLocation: String) throws {
        let sourceByName = Dictionary(source.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let targetByName = Dictionary(target.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var differences: [String] = []
        let onlySource = Set(sourceByName.keys).subtracting(targetByName.keys).sorted()
        let onlyTarget = Set(targetByName.keys).subtracting(sourceByName.keys).sorted()
        if !onlySource.isEmpty { differences.append("tables only in the source: \(onlySource.joined(separator: ", "))") }
        if !onlyTarget.isEmpty { differences.append("tables only in the target: \(onlyTarget.joined(separator: ", "))") }
        for name in sourceByName.keys.sorted() {
            guard let from = sourceByName[name], let to = targetByName[name] else { continue }
            let missing = Set(from.columns).subtracting(to.columns).sorted()
            let extra = Set(to.columns).subtracting(from.columns).sorted()
            if !missing.isEmpty { differences.append("\(name) columns only in the source: \(missing.joined(separator: ", "))") }
            if !extra.isEmpty { differences.append("\(name) columns only in the target: \(extra.joined(separator: ", "))") }
        }
        guard differences.isEmpty else {
            throw GatewayError.invalid(
                "the schemas of \(sourceLocation) and \(targetLocation) differ (\(differences.joined(separator: "; "))); migrate both with this build of referral-gateway first")
        }

        // Kahn's order over both stores' dependencies, the lowest name first among the ready ones,
        // so the same schemas always copy in the same order.
        var waitingOn: [String: Set<String>] = [:]
        for name in sourceByName.keys {
            let dependencies = (sourceByName[name]?.dependsOn ?? []) + (targetByName[name]?.dependsOn ?? [])
            waitingOn[name] = Set(dependencies.filter { $0 != name && sourceByName[$0] != nil })
        }
        var ordered: [TransferTable] = []
        while !waitingOn.isEmpty {
            guard let next = waitingOn.filter({ $0.value.isEmpty }).keys.min(), let table = sourceByName[next] else {
                throw GatewayError.invalid(
                    "the tables \(waitingOn.keys.sorted().joined(separator: ", ")) depend on each other in a circle; a store copy cannot order them")
            }
            ordered.append(table)
            waitingOn[next] = nil
            for name in waitingOn.keys { waitingOn[name]?.remove(next) }
        }
        tables = ordered
    }
}
