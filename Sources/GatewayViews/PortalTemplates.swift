/// The partner portal's templates, in the console's library so they share its style and the
/// statement's tables. The portal has its own layout: a partner never sees the console's menu.
extension ConsoleTemplates {
    static let portalTemplates: [String: String] = [
        "portalLayout": portalLayout, "portalSignIn": portalSignIn, "portalMessage": portalMessage, "portalHome": portalHome,
        "portalReferral": portalReferral, "portalSubmission": portalSubmission, "portalSubmit": portalSubmit,
        "submissions": submissions, "portalLinkIssued": portalLinkIssued,
    ]

    // The console's side of the portal.

    static let submissions = """
        {{<layout}}{{$content}}
        <h1>Referrals submitted by partners</h1>
        <p>A submission claims nothing until it is accepted. Read the checks first: a company that is already a client, or
        already claimed by another partner, is usually declined.</p>
        <table class="submissions"><tr><th class="num">Id</th><th>Partner</th><th>Prospect</th><th>Contact</th><th>Submitted</th><th>Checks</th><th>Decision</th></tr>
        {{#rows}}<tr data-submission="{{id}}"><td class="num">{{id}}</td><td>{{partner}}</td><td>{{prospect}}<br><code>{{domain}}</code>{{#note}}<br>{{note}}{{/note}}</td><td>{{contact}}</td><td class="day">{{submitted}}</td>
        <td>{{#checks}}<div class="flag">{{.}}</div>{{/checks}}{{^checks}}none{{/checks}}</td>
        <td>{{#waiting}}<form method="post" action="/console/submissions/{{id}}/accept"><input type="hidden" name="csrf" value="{{csrf}}">
        <label>Plan <select name="plan_id" required>{{#plans}}<option value="{{id}}">{{name}}</option>{{/plans}}</select></label> <button>Accept</button></form>
        <form method="post" action="/console/submissions/{{id}}/decline"><input type="hidden" name="csrf" value="{{csrf}}">
        <label>Reason <input name="reason" required size="24"></label> <button>Decline</button></form>{{/waiting}}
        {{^waiting}}{{decision}}{{/waiting}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="7">No partner has submitted a referral yet.</td></tr>{{/rows}}
        </table>
        {{/content}}{{/layout}}
        """

    static let portalLinkIssued = """
        {{<layout}}{{$content}}
        <h1>Portal link for {{partner}}</h1>
        <p>Send this link to the partner. It works once, until {{expires}}, and is shown only now: the gateway keeps only its hash.</p>
        <p><input id="portal-link" value="{{url}}" size="90" readonly></p>
        <p><a href="/console/partners/{{partnerID}}">Back to the partner</a></p>
        {{/content}}{{/layout}}
        """

    static let portalLayout = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>{{title}} · Partner portal</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">\(style)</head>
        <body>
        {{#session}}<header><strong>{{partnerName}}</strong>
        <a href="/portal">Home</a><a href="/portal/referrals/new">Submit a referral</a><a href="/portal/statement">Statement</a>
        <form method="post" action="/portal/sign-out"><input type="hidden" name="csrf" value="{{csrf}}"><button>Sign out</button></form></header>{{/session}}
        <main>
        {{#notice}}<p class="ok" role="status">{{notice}}</p>{{/notice}}
        {{$content}}{{/content}}
        </main></body></html>
        """

    static let portalSignIn = """
        {{<portalLayout}}{{$content}}
        <h1>Partner portal</h1>
        <p>Sign in to see your referrals, what they earned, and your payouts.</p>
        <form method="post" action="/portal/sign-in"><input type="hidden" name="token" value="{{token}}">
        <button type="submit">Sign in</button></form>
        <p>The link works once. If it does not, ask the program manager for a new one.</p>
        {{/content}}{{/portalLayout}}
        """

    static let portalMessage = """
        {{<portalLayout}}{{$content}}<h1>{{title}}</h1><p class="error" role="alert">{{text}}</p>{{#back}}<p><a href="{{back}}">Back</a></p>{{/back}}{{/content}}{{/portalLayout}}
        """

    static let portalHome = """
        {{<portalLayout}}{{$content}}
        <h1>Your referrals</h1>
        <div class="cards">
        <div class="card">Monthly revenue your clients bring<b data-total="mrr">{{mrr}}</b></div>
        {{#balance}}<div class="card">Payable now ({{currency}})<b data-total="payable">{{payable}}</b></div><div class="card">Pending ({{currency}})<b>{{pending}}</b></div><div class="card">Paid to date ({{currency}})<b>{{paid}}</b></div>{{/balance}}
        </div>
        <p><a href="/portal/referrals/new">Submit a referral</a></p>
        <table class="referrals"><tr><th>Prospect</th><th>Introduced</th><th>Status</th><th>Why</th></tr>
        {{#referrals}}<tr data-referral="{{id}}"><td><a href="/portal/referrals/{{id}}">{{prospect}}</a></td><td class="day">{{introduced}}</td><td class="status">{{status}}</td><td>{{reason}}</td></tr>{{/referrals}}
        {{#submissions}}<tr data-submission="{{id}}"><td><a href="/portal/submissions/{{id}}">{{prospect}}</a></td><td class="day">{{submitted}}</td><td class="status">{{status}}</td><td>{{reason}}</td></tr>{{/submissions}}
        {{^hasAny}}<tr><td colspan="4">No referrals yet.</td></tr>{{/hasAny}}
        </table>
        <h2>Payouts</h2>
        <table class="payouts"><tr><th class="num">Batch</th><th>Created</th><th>Paid</th><th class="num">Amount</th></tr>
        {{#payouts}}<tr><td class="num">{{id}}</td><td class="day">{{created}}</td><td class="day">{{paid}}</td><td class="num">{{amount}}</td></tr>{{/payouts}}
        {{^payouts}}<tr><td colspan="4">No payouts yet.</td></tr>{{/payouts}}
        </table>
        {{#giveGet}}<h2>Give and get</h2>
        <p>Over the last {{months}} months you introduced {{received}} {{receivedNoun}} to us; we introduced {{given}} {{givenNoun}} to you.</p>{{/giveGet}}
        <p><a href="/portal/statement">This month's statement</a> · <a href="/portal/statement.csv">CSV</a></p>
        {{/content}}{{/portalLayout}}
        """

    static let portalReferral = """
        {{<portalLayout}}{{$content}}
        <h1>{{prospect}}</h1>
        <p>Status: <b class="status">{{status}}</b>{{#reason}} ({{reason}}){{/reason}}</p>
        <p>Introduced {{introduced}}{{#qualified}} · meeting held {{qualified}}{{/qualified}}</p>
        <h2>What it earned</h2>
        <table class="lines"><tr><th>Earned</th><th>Rule</th><th class="num">Amount</th><th>Status</th></tr>
        {{#lines}}<tr><td class="day">{{earned}}</td><td>{{rule}}</td><td class="num">{{amount}}</td><td>{{status}}</td></tr>{{/lines}}
        {{^lines}}<tr><td colspan="4">Nothing yet.</td></tr>{{/lines}}
        </table>
        <p><a href="/portal">Back</a></p>
        {{/content}}{{/portalLayout}}
        """

    static let portalSubmission = """
        {{<portalLayout}}{{$content}}
        <h1>{{prospect}}</h1>
        <p>Status: <b class="status">{{status}}</b>{{#reason}} ({{reason}}){{/reason}}</p>
        <p>Submitted {{submitted}} · {{domain}} · {{contact}}</p>
        {{#note}}<p>{{note}}</p>{{/note}}
        <p><a href="/portal">Back</a></p>
        {{/content}}{{/portalLayout}}
        """

    static let portalSubmit = """
        {{<portalLayout}}{{$content}}
        <h1>Submit a referral</h1>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <form method="post" action="/portal/referrals"><input type="hidden" name="csrf" value="{{csrf}}">
        <p><label>Company <input name="prospect_name" value="{{prospectName}}" required></label>{{#errors.prospect_name}} <span class="error" data-field="prospect_name">{{.}}</span>{{/errors.prospect_name}}</p>
        <p><label>Company website domain <input name="domain" value="{{domain}}" placeholder="example.com" required></label>{{#errors.domain}} <span class="error" data-field="domain">{{.}}</span>{{/errors.domain}}</p>
        <p><label>Contact name <input name="contact_name" value="{{contactName}}" required></label>{{#errors.contact_name}} <span class="error" data-field="contact_name">{{.}}</span>{{/errors.contact_name}}</p>
        <p><label>Contact email <input type="email" name="contact_email" value="{{contactEmail}}" required></label>{{#errors.contact_email}} <span class="error" data-field="contact_email">{{.}}</span>{{/errors.contact_email}}</p>
        <p><label>Note <textarea name="note" rows="4" cols="60">{{note}}</textarea></label>{{#errors.note}} <span class="error" data-field="note">{{.}}</span>{{/errors.note}}</p>
        <button type="submit">Submit</button></form>
        <p>The program manager checks each submission and tells you here whether it was accepted.</p>
        {{/content}}{{/portalLayout}}
        """
}
