import ArgumentParser

/// The `referral-gateway` command: the server and the admin's tools. The only place that reads
/// the environment and argv.
@main
struct ReferralGateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "referral-gateway",
        abstract: "Receives signed billing and PSA webhooks and keeps referral commission accruals.",
        subcommands: [
            Serve.self, Send.self, PartnersCommand.self, PlansCommand.self, ReferralsCommand.self, SubmissionsCommand.self, AccrualsCommand.self,
            PayoutsCommand.self, StatementCommand.self, MetricsCommand.self, ReviewsCommand.self, OutboundCommand.self, GiveGetCommand.self, SettingsCommand.self, LedgerCommand.self,
            ImportCommand.self, DeliveriesCommand.self, ReplayCommand.self, Process.self, BackfillCommand.self, WebhooksCommand.self, AdaptersCommand.self, BackupCommand.self, RestoreCommand.self, MigrateCommand.self, StoreCommand.self,
        ])
}
