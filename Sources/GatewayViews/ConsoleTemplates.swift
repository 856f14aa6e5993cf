import Mustache

/// The console's Mustache templates, compiled into the binary so a copied executable renders
/// without a resources folder. `{{x}}` escapes HTML; `{{{x}}}` is used only for SVG the gateway
/// drew itself (`SVGChart`), whose text is escaped when drawn.
public enum ConsoleTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        do {
            let all = templates.merging(portalTemplates, uniquingKeysWith: { $1 }).merging(programTemplates, uniquingKeysWith: { $1 })
                .merging(outboundTemplates, uniquingKeysWith: { $1 })
            for (name, text) in all { try library.register(text, named: name) }
        } catch {
            preconditionFailure("a console template does not parse: \(error)")
        }
        return library
    }()

    /// Renders a registered template.
    public static func render(_ name: String, _ view: Any) -> String {
        guard let html = library.render(view, withTemplate: name) else { preconditionFailure("no console template named \(name)") }
        return html
    }

    static let templates: [String: String] = [
        "layout": layout, "login": login, "overview": overview, "deliveries": deliveries, "delivery": delivery, "replay": replay,
        "partners": partners, "partner": partner, "payouts": payouts, "statement": statement, "statementTables": statementTables,
        "message": message, "clients": clients, "imports": imports, "backfills": backfills,
    ]

    static let style = """
        <style>
        body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
        header{background:#1d2430;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center}
        header a{color:#cfe0ff;text-decoration:none}header form{margin-left:auto}
        main{padding:1rem 1.2rem;max-width:1200px}
        table{border-collapse:collapse;width:100%;background:#fff;margin:.5rem 0 1rem}
        th,td{border-bottom:1px solid #e3e6ea;padding:.3rem .5rem;text-align:left;vertical-align:top}
        th{background:#eef1f5;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.day{white-space:nowrap}
        .cards{display:flex;flex-wrap:wrap;gap:.8rem}.card{background:#fff;border:1px solid #e3e6ea;padding:.6rem .9rem;min-width:11rem}
        .card b{display:block;font-size:1.3rem}.flag{color:#a33}.status-failed,.status-dead{color:#a33;font-weight:600}
        .cols{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:.8rem}pre{white-space:pre-wrap;word-break:break-all;background:#fff;border:1px solid #e3e6ea;padding:.5rem;font-size:12px}
        .error{background:#fde8e8;border:1px solid #e5a0a0;padding:.5rem}.ok{background:#e6f5ea;border:1px solid #9fd3ad;padding:.5rem}
        form.inline{display:inline}button{cursor:pointer}
        @media print{header,form,.noprint{display:none}body{background:#fff}main{max-width:none}}
        </style>
        """

    static let layout = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>{{title}} · Referral Gateway</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">\(style)</head>
        <body>
        {{#session}}<header><strong>Referral Gateway</strong>
        <a href="/console">Overview</a><a href="/console/deliveries">Deliveries</a><a href="/console/partners">Partners</a><a href="/console/referrals">Referrals</a><a href="/console/submissions">Submissions</a><a href="/console/plans">Plans</a><a href="/console/payouts">Payouts</a><a href="/console/clients">Clients</a><a href="/console/imports">Import</a><a href="/console/backfills">Backfills</a><a href="/console/outbound">Outbound</a><a href="/console/settings">Settings</a>
        <form method="post" action="/console/logout"><input type="hidden" name="csrf" value="{{csrf}}"><button>Sign out</button></form></header>{{/session}}
        <main>
        {{#alerts}}<p class="error" role="alert" data-alert>{{.}}</p>{{/alerts}}
        {{#notice}}<p class="ok" role="status">{{notice}}</p>{{/notice}}
        {{$content}}{{/content}}
        </main></body></html>
        """

    static let login = """
        {{<layout}}{{$content}}
        <h1>Sign in</h1>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <form method="post" action="/console/login"><input type="hidden" name="next" value="{{next}}">
        <label>Admin token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
        <button type="submit">Sign in</button>
        </form>
        <p>The token is the gateway's <code>GATEWAY_ADMIN_TOKEN</code>.</p>
        {{/content}}{{/layout}}
        """

    static let message = """
        {{<layout}}{{$content}}<h1>{{title}}</h1><p class="error" role="alert">{{text}}</p><p><a href="{{back}}">Back</a></p>{{/content}}{{/layout}}
        """

    /// A form choosing the period; `prefix` names the view holding `from` and `to`.
    static func periodForm(_ prefix: String) -> String {
        """
        <form method="get" class="noprint">From <input type="date" name="from" value="{{\(prefix).from}}"> \
        to <input type="date" name="to" value="{{\(prefix).to}}"> <button>Show</button></form>
        """
    }

    static let overview = """
        {{<layout}}{{$content}}
        <h1>Program overview</h1>
        \(periodForm("period"))
        <div class="cards">
        {{#mrrShares}}<div class="card" data-metric="referral-share-{{currency}}">Referral-sourced share of new MRR ({{currency}})<b>{{share}}</b>{{sourced}} of {{total}}</div>{{/mrrShares}}
        <div class="card" data-metric="new-clients">New clients<b>{{newClients}}</b>{{referredNewClients}} referred</div>
        <div class="card" data-metric="conversion">Referral conversion<b>{{conversion.rate}}</b>{{conversion.signed}} of {{conversion.introduced}} signed; median {{conversion.medianDays}} days</div>
        <div class="card" data-metric="k-factor">K-factor<b>{{kFactor}}</b>{{kFactorDetail}}</div>
        <div class="card" data-metric="retention">Retention, referred vs others<b>{{retention.referred}} / {{retention.others}}</b>tenure {{retention.referredTenure}} vs {{retention.othersTenure}} days</div>
        <div class="card" data-metric="mrr-movement">Expansion / contraction MRR<b>{{expansion}} / {{contraction}}</b>existing clients' agreements, apart from new MRR</div>
        <div class="card" data-metric="client-participation">Clients who referred<b>{{participation.clients}}</b>{{participation.clientsDetail}}</div>
        <div class="card" data-metric="partner-participation">Partners who referred<b>{{participation.partners}}</b>{{participation.partnersDetail}}</div>
        {{#lifetimeValue}}<div class="card" data-metric="lifetime-value-{{currency}}">Collected per client ({{currency}}), referred vs others<b>{{referred}} / {{others}}</b>{{ratio}}</div>{{/lifetimeValue}}
        </div>
        <h2>Referral-sourced share of new MRR by month</h2>
        {{{chart}}}
        <h2>By partner kind</h2>
        <table><tr><th>Kind</th><th class="num">Partners</th><th class="num">Active</th><th class="num">Referrals</th><th class="num">Signed</th><th class="num">Conversion</th><th>New MRR</th><th>Running MRR</th></tr>
        {{#byKind}}<tr><td>{{kind}}</td><td class="num">{{partners}}</td><td class="num">{{active}}</td><td class="num">{{referrals}}</td><td class="num">{{signed}}</td><td class="num">{{conversion}}</td><td>{{newMRR}}</td><td>{{runningMRR}}</td></tr>{{/byKind}}
        </table>
        <h2>Top {{top.percent}} % of partners</h2>
        <p>{{top.summary}}</p>
        <table><tr><th>Partner</th><th>Kind</th><th class="num">Signed</th><th>Running MRR</th></tr>
        {{#top.partners}}<tr><td><a href="/console/partners/{{id}}">{{name}}</a></td><td>{{kind}}</td><td class="num">{{signed}}</td><td>{{runningMRR}}</td></tr>{{/top.partners}}
        </table>
        <h2>Revenue collected by source</h2>
        <p>Payments less credits and voids, {{collected.window}}.</p>
        <table><tr><th>Source</th><th class="num">Clients</th><th>Collected</th></tr>
        {{#collected.sources}}<tr data-source="{{source}}"><td>{{label}}</td><td class="num">{{clients}}</td><td>{{amount}}</td></tr>{{/collected.sources}}
        <tr><th>Total</th><th></th><th>{{collected.total}}</th></tr>
        </table>
        <h2>Give and get</h2>
        <p>Referrals each way over the last {{giveGetWindow}}; flagged past {{giveGetRatio}} to 1.</p>
        <table><tr><th>Partner</th><th class="num">Referrals received</th><th class="num">Referrals given</th><th>MRR received</th><th>MRR given</th><th>Flags</th></tr>
        {{#giveGet}}<tr><td><a href="/console/partners/{{id}}">{{name}}</a></td><td class="num">{{received}}</td><td class="num">{{given}}</td><td>{{mrrReceived}}</td><td>{{mrrGiven}}</td><td class="flag">{{flags}}</td></tr>{{/giveGet}}
        </table>
        <h2>Owed a give-back</h2>
        {{^owed}}<p>Nobody: every relationship is within {{giveGetRatio}} to 1.</p>{{/owed}}
        {{#hasOwed}}<table><tr><th>Partner</th><th class="num">Sent us</th><th class="num">We sent</th></tr>
        {{#owed}}<tr data-owed="{{id}}"><td><a href="/console/partners/{{id}}">{{name}}</a></td><td class="num">{{received}}</td><td class="num">{{given}}</td></tr>{{/owed}}
        </table>{{/hasOwed}}
        <h2>Who to ask next</h2>
        {{^askNext}}<p>No client is at a high-intent moment without a recent ask.</p>{{/askNext}}
        {{#hasAskNext}}<table><tr><th>Client</th><th>Why now</th><th>Last asked</th></tr>
        {{#askNext}}<tr data-ask="{{key}}"><td>{{name}}</td><td>{{reasons}}</td><td class="day">{{lastAsked}}</td></tr>{{/askNext}}
        </table>{{/hasAskNext}}
        <h2>Client reviews</h2>
        <div class="cards">
        <div class="card" data-metric="reviewed">Clients reviewed<b>{{reviews.reviewed}}</b>{{reviews.clientsReviewed}} of {{reviews.activeClients}} active clients</div>
        <div class="card" data-metric="reviews-per-month">Reviews per month<b>{{reviews.perMonth}}</b>target {{reviews.target}}</div>
        <div class="card" data-metric="health">Client health<b>{{reviews.health}}</b>latest review ended with the referral asked</div>
        <div class="card" data-metric="healthy-without-ask">Healthy, not asked<b>{{reviews.healthyWithoutAsk}}</b></div>
        <div class="card" data-metric="risk">Client risk<b>{{reviews.risk}}</b></div>
        <div class="card" data-metric="unknown">Unknown status<b>{{reviews.unknown}}</b></div>
        </div>
        {{/content}}{{/layout}}
        """

    static let deliveries = """
        {{<layout}}{{$content}}
        <h1>Deliveries</h1>
        <form method="get">Status <select name="status"><option value="">failed and dead first</option>{{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/statuses}}</select>
        Source <input name="source" value="{{source}}" size="12"> Event type <input name="event_type" value="{{eventType}}" size="20"> Customer <input name="customer" value="{{customer}}" size="16">
        <button>Filter</button></form>
        <table><tr><th class="num">Id</th><th>Source</th><th>Event type</th><th>Status</th><th>Received</th><th class="num">Attempts</th><th>Reason</th></tr>
        {{#rows}}<tr><td class="num"><a href="/console/deliveries/{{id}}">{{id}}</a></td><td>{{source}}</td><td>{{eventType}}</td><td class="status-{{status}}">{{status}}</td><td>{{received}}</td><td class="num">{{attempts}}</td><td>{{reason}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="7">No deliveries match.</td></tr>{{/rows}}
        </table>
        {{/content}}{{/layout}}
        """

    static let delivery = """
        {{<layout}}{{$content}}
        <h1>Delivery {{id}} <small class="status-{{status}}">{{status}}</small></h1>
        <p>{{source}} · {{eventType}} · vendor id <code>{{vendorID}}</code> · received {{received}} · attempts {{attempts}}{{#reason}} · <span class="flag">{{reason}}</span>{{/reason}}</p>
        <form method="post" action="/console/deliveries/{{id}}/replay"><input type="hidden" name="csrf" value="{{csrf}}"><button>Replay (dry run first)</button></form>
        <div class="cols">
        <section><h2>Raw</h2><pre id="raw">{{raw}}</pre></section>
        <section><h2>Mapped</h2>{{#events}}<p><strong>{{kind}}</strong> <code>{{businessKey}}</code><br>{{explanation}}</p><pre>{{payload}}</pre>{{/events}}{{^events}}<p>No business events.</p>{{/events}}</section>
        <section><h2>Accruals</h2><table id="accruals"><tr><th class="num">Id</th><th>Rule</th><th class="num">Amount</th><th>Status</th></tr>
        {{#accruals}}<tr><td class="num">{{id}}</td><td>{{rule}}</td><td class="num">{{amount}}</td><td>{{status}}</td></tr>{{/accruals}}
        </table></section>
        </div>
        {{/content}}{{/layout}}
        """

    static let replay = """
        {{<layout}}{{$content}}
        <h1>Replay delivery {{id}}{{#applied}}: done{{/applied}}{{^applied}}: dry run{{/applied}}</h1>
        <p>{{summary}}</p>
        <table id="diff"><tr><th>Change</th><th>Accrual</th><th class="num">Before</th><th class="num">After</th></tr>
        {{#changes}}<tr><td>{{change}}</td><td><code>{{key}}</code></td><td class="num">{{before}}</td><td class="num">{{after}}</td></tr>{{/changes}}
        {{^changes}}<tr><td colspan="4">No accrual would change.</td></tr>{{/changes}}
        </table>
        {{^applied}}<form method="post" action="/console/deliveries/{{id}}/replay"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="confirm" value="yes"><button>Apply the replay</button></form>{{/applied}}
        <p><a href="/console/deliveries/{{id}}">Back to the delivery</a></p>
        {{/content}}{{/layout}}
        """

    static let partners = """
        {{<layout}}{{$content}}
        <h1>Partners</h1>
        <table><tr><th>Partner</th><th>Kind</th><th class="num">Clients</th><th>MRR sent</th><th>Pending</th><th>Payable</th><th>Paid</th><th class="num">Given / received</th><th>Flags</th></tr>
        {{#rows}}<tr><td><a href="/console/partners/{{id}}">{{name}}</a></td><td>{{kind}}</td><td class="num">{{clients}}</td><td>{{mrr}}</td><td>{{pending}}</td><td>{{payable}}</td><td>{{paid}}</td><td class="num">{{given}} / {{received}}</td><td class="flag">{{flags}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="9">No partners yet.</td></tr>{{/rows}}
        </table>
        {{#sections}}{{>formSection}}{{/sections}}
        {{/content}}{{/layout}}
        """

    static let partner = """
        {{<layout}}{{$content}}
        <h1>{{statement.partner}}</h1>
        <p>{{statement.kind}} · running MRR sourced: {{mrr}}{{#inactive}} · <b class="flag" data-partner-status>{{inactive}}</b>{{/inactive}}</p>
        <form method="post" action="/console/partners/{{id}}/portal-link" class="noprint"><input type="hidden" name="csrf" value="{{csrf}}">
        <button>Issue a portal sign-in link</button></form>
        <h2>MRR sourced by month</h2>
        {{{chart}}}
        <h2>Statement, {{statement.periodText}}</h2>
        \(periodForm("statement"))
        <p class="noprint"><a href="/console/partners/{{id}}/statement?from={{statement.from}}&amp;to={{statement.to}}">Printable</a> ·
        <a href="/console/partners/{{id}}/statement.csv?from={{statement.from}}&amp;to={{statement.to}}">CSV</a></p>
        {{#statement}}{{>statementTables}}{{/statement}}
        {{#sections}}{{>formSection}}{{/sections}}
        {{/content}}{{/layout}}
        """

    static let statementTables = """
        <h3>Totals for the period</h3>
        <table class="totals"><tr><th>Currency</th><th class="num">Earned</th><th class="num">Pending</th><th class="num">Awaiting approval</th><th class="num">Payable</th><th class="num">In payout</th><th class="num">Paid</th><th class="num">Voided</th></tr>
        {{#periodTotals}}<tr><td>{{currency}}</td><td class="num">{{earned}}</td><td class="num">{{pending}}</td><td class="num">{{awaiting}}</td><td class="num">{{payable}}</td><td class="num">{{inPayout}}</td><td class="num">{{paid}}</td><td class="num">{{voided}}</td></tr>{{/periodTotals}}
        </table>
        <h3>Balance on {{generated}}</h3>
        <table class="balance"><tr><th>Currency</th><th class="num">Payable now</th><th class="num">Pending</th><th class="num">Awaiting approval</th><th class="num">In payout</th><th class="num">Paid to date</th></tr>
        {{#balance}}<tr><td>{{currency}}</td><td class="num" data-total="payable">{{payable}}</td><td class="num">{{pending}}</td><td class="num">{{awaiting}}</td><td class="num">{{inPayout}}</td><td class="num" data-total="paid">{{paid}}</td></tr>{{/balance}}
        </table>
        <h3>Lines</h3>
        <table class="lines"><tr><th class="num">Id</th><th>Earned</th><th>Client</th><th>Rule</th><th>Plan</th><th class="num">Basis</th><th class="num">Rate</th><th class="num">Amount</th><th>Status</th><th>Source</th><th>Note</th></tr>
        {{#lines}}<tr><td class="num">{{id}}</td><td class="day">{{earned}}</td><td>{{client}}</td><td>{{rule}}</td><td>{{plan}}</td><td class="num">{{basis}}</td><td class="num">{{rate}}</td><td class="num">{{amount}}</td><td>{{status}}</td><td>delivery {{delivery}}<br><code>{{businessKey}}</code></td><td>{{note}}</td></tr>{{/lines}}
        {{^lines}}<tr><td colspan="11">No accruals were earned in this period.</td></tr>{{/lines}}
        </table>
        """

    static let statement = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Statement · {{partner}} · {{periodText}}</title>\(style)</head>
        <body><main>
        <h1>Referral statement: {{partner}}</h1>
        <p>{{kind}} · {{periodText}} · produced {{generated}}</p>
        {{>statementTables}}
        </main></body></html>
        """

    static let clients = """
        {{<layout}}{{$content}}
        <h1>Clients and reviews</h1>
        <div class="cards">
        <div class="card" data-metric="reviewed">Clients reviewed<b>{{kpis.reviewed}}</b>{{kpis.clientsReviewed}} of {{kpis.activeClients}} active clients</div>
        <div class="card" data-metric="health">Client health<b>{{kpis.health}}</b>latest review ended with the referral asked</div>
        <div class="card" data-metric="healthy-without-ask">Healthy, not asked<b>{{kpis.healthyWithoutAsk}}</b></div>
        <div class="card" data-metric="risk">Client risk<b>{{kpis.risk}}</b></div>
        <div class="card" data-metric="unknown">Unknown status<b>{{kpis.unknown}}</b></div>
        </div>
        <h2>Record a review</h2>
        <form method="post" action="/console/clients/reviews"><input type="hidden" name="csrf" value="{{csrf}}">
        <label>Client <select name="client" required>{{#rows}}<option value="{{key}}">{{name}}</option>{{/rows}}</select></label>
        <label>Day <input type="date" name="on" value="{{today}}" required></label>
        <label>Outcome <select name="outcome">{{#outcomes}}<option value="{{value}}">{{label}}</option>{{/outcomes}}</select></label>
        <label>Note <input name="note" size="30"></label> <button>Record</button></form>
        <h2>Active clients (under an open agreement, or paid in the last 90 days)</h2>
        <table><tr><th>Client</th><th>Key</th><th>Referred</th><th>Monthly value</th><th>Last paid</th><th>Latest review</th></tr>
        {{#rows}}<tr><td>{{name}}</td><td><code>{{key}}</code></td><td>{{referred}}</td><td>{{mrr}}</td><td>{{lastPaid}}</td><td>{{review}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="6">No client is active today.</td></tr>{{/rows}}
        </table>
        {{/content}}{{/layout}}
        """

    static let imports = """
        {{<layout}}{{$content}}
        <h1>Import from a spreadsheet</h1>
        <p>One CSV file per kind (columns in the documentation, examples in <code>fixtures/imports/</code>). The file is checked
        whole and previewed first; nothing is written until you apply it, and a file with a refused row cannot be applied.</p>
        <form method="post" action="/console/imports" enctype="multipart/form-data"><input type="hidden" name="csrf" value="{{csrf}}">
        <label>Kind <select name="kind">{{#kinds}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/kinds}}</select></label>
        <label>File <input type="file" name="file" accept=".csv,text/csv" required></label> <button>Preview</button></form>
        {{#report}}
        <h2>{{heading}}</h2>
        <p data-summary>{{summary}}</p>
        {{#hasRefused}}<table class="refused"><tr><th class="num">Line</th><th>Column</th><th>Reason</th></tr>
        {{#refused}}<tr data-line="{{line}}"><td class="num">{{line}}</td><td>{{column}}</td><td class="flag">{{reason}}</td></tr>{{/refused}}
        </table>{{/hasRefused}}
        {{#canApply}}<form method="post" action="/console/imports" enctype="multipart/form-data"><input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="kind" value="{{kind}}"><input type="hidden" name="content" value="{{content}}"><input type="hidden" name="apply" value="yes">
        <button>Apply the import</button></form>{{/canApply}}
        <table class="rows"><tr><th class="num">Line</th><th>Does</th><th>Row</th></tr>
        {{#rows}}<tr><td class="num">{{line}}</td><td>{{action}}</td><td>{{key}}</td></tr>{{/rows}}
        </table>
        {{/report}}
        {{/content}}{{/layout}}
        """

    static let backfills = """
        {{<layout}}{{$content}}
        <h1>Backfills</h1>
        <p>A backfill reads a vendor's history since a day through its API and stores each record as the webhook would
        have: a record already in the inbox is not stored twice, and a stopped backfill resumes where it stopped. This
        page refreshes when you reload it.</p>
        {{#hasSources}}<form method="post" action="/console/backfills"><input type="hidden" name="csrf" value="{{csrf}}">
        <label>Source <select name="source">{{#sources}}<option>{{.}}</option>{{/sources}}</select></label>
        <label>Since <input type="date" name="since" required></label> <button>Start</button></form>{{/hasSources}}
        {{^hasSources}}<p>No vendor API is configured for a backfill (set <code>GATEWAY_STRIPE_API_KEY</code>, or the <code>GATEWAY_QUICKBOOKS_*</code>, <code>GATEWAY_CONNECTWISE_API_*</code> or <code>GATEWAY_AUTOTASK_API_*</code> variables).</p>{{/hasSources}}
        <table><tr><th class="num">Backfill</th><th>Source</th><th>Since</th><th>State</th><th>Progress</th><th class="num">Read</th><th class="num">New</th><th>Reason</th></tr>
        {{#rows}}<tr data-backfill="{{id}}"><td class="num">{{id}}</td><td>{{source}}</td><td class="day">{{since}}</td><td>{{state}}</td><td>{{progress}}</td><td class="num">{{fetched}}</td><td class="num">{{stored}}</td><td class="flag">{{error}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="8">No backfill since the gateway started.</td></tr>{{/rows}}
        </table>
        {{/content}}{{/layout}}
        """

    static let payouts = """
        {{<layout}}{{$content}}
        <h1>Payouts</h1>
        <form method="post" action="/console/payouts"><input type="hidden" name="csrf" value="{{csrf}}">
        <label>Note <input name="note" size="30"></label> <button>Create a payout of everything payable</button></form>
        <table><tr><th class="num">Batch</th><th>Created</th><th>Paid</th><th class="num">Lines</th><th>Totals</th><th>Export</th><th></th></tr>
        {{#rows}}<tr><td class="num">{{id}}</td><td>{{created}}</td><td>{{paid}}</td><td class="num">{{lines}}</td><td>{{totals}}</td>
        <td><a href="/console/payouts/{{id}}/bills.csv">Bills CSV</a> · <a href="/console/payouts/{{id}}/credits.csv">Credits CSV</a></td>
        <td>{{#unpaid}}<form method="post" action="/console/payouts/{{id}}/paid" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button>Mark paid</button></form>{{/unpaid}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="7">No payouts yet.</td></tr>{{/rows}}
        </table>
        {{/content}}{{/layout}}
        """
}
