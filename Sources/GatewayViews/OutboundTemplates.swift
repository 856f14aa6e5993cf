extension ConsoleTemplates {
    static let outboundTemplates: [String: String] = [
        "outbound": outbound, "webhookSecret": webhookSecret,
    ]

    static let outbound = """
        {{<layout}}{{$content}}
        <h1>Outbound events</h1>
        <p>Endpoints registered here receive the program's events as signed Standard Webhooks, each in the order the events
        happened, retried for about a day when they fail. The documentation (<code>docs/outbound-events.md</code>) lists every
        event and how a receiver verifies it.</p>
        <h2>Add an endpoint</h2>
        {{#addForm}}<form method="post" action="/console/outbound/endpoints" class="add-endpoint" data-form="endpoint"><input type="hidden" name="csrf" value="{{csrf}}">
        {{#formError}}<p class="error" role="alert">{{formError}}</p>{{/formError}}
        <label>URL <input name="url" type="url" size="50" required placeholder="https://crm.example.com/hooks" value="{{url}}"></label>{{#urlError}} <span class="error" data-field="url" role="alert">{{urlError}}</span>{{/urlError}}
        <label>Description <input name="description" size="20" value="{{description}}"></label>
        <fieldset><legend>Events (none ticked: every event)</legend>
        {{#eventTypes}}<label><input type="checkbox" name="event_{{index}}" value="{{type}}"{{#checked}} checked{{/checked}}> <code>{{type}}</code></label> {{/eventTypes}}
        {{#eventsError}}<span class="error" data-field="events" role="alert">{{eventsError}}</span>{{/eventsError}}
        </fieldset> <button>Add</button></form>{{/addForm}}
        <h2>Endpoints</h2>
        <table class="endpoints"><tr><th class="num">Id</th><th>URL</th><th>Events</th><th>State</th><th class="num">Waiting</th><th class="num">Delivered</th><th class="num">Dead</th><th>Secret</th><th></th></tr>
        {{#endpoints}}<tr data-endpoint="{{id}}"><td class="num">{{id}}</td><td><code>{{url}}</code>{{#description}}<br>{{description}}{{/description}}</td><td>{{events}}</td>
        <td class="{{#disabled}}flag{{/disabled}}">{{state}}</td><td class="num">{{waiting}}</td><td class="num">{{delivered}}</td><td class="num">{{dead}}</td><td>{{secret}}</td>
        <td><form method="post" action="/console/outbound/endpoints/{{id}}/rotate" class="inline"><input type="hidden" name="csrf" value="{{csrf}}">
        <label>Overlap <input name="overlap_hours" size="3" value="24"> h</label> <button>Rotate secret</button></form>
        {{#disabled}}<form method="post" action="/console/outbound/endpoints/{{id}}/enable" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button>Enable</button></form>{{/disabled}}
        {{^disabled}}<form method="post" action="/console/outbound/endpoints/{{id}}/disable" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button>Disable</button></form>{{/disabled}}
        {{#hasDead}}<form method="post" action="/console/outbound/endpoints/{{id}}/resend-failed" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button>Resend dead</button></form>{{/hasDead}}
        <form method="post" action="/console/outbound/endpoints/{{id}}/remove" class="inline"><input type="hidden" name="csrf" value="{{csrf}}">
        <label><input type="checkbox" name="confirm" value="yes" required> sure</label> <button>Remove</button></form></td></tr>{{/endpoints}}
        {{^endpoints}}<tr><td colspan="9">No endpoint yet.</td></tr>{{/endpoints}}
        </table>
        <h2>Messages</h2>
        <form method="get" class="noprint"><label>Status <select name="status">{{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statuses}}</select></label> <button>Show</button></form>
        <table class="messages"><tr><th class="num">Message</th><th class="num">Endpoint</th><th>Event</th><th>Status</th><th class="num">Attempts</th><th>Last attempt</th><th>Next attempt</th><th>Last error</th><th></th></tr>
        {{#messages}}<tr data-message="{{id}}"><td class="num">{{id}}</td><td class="num">{{endpoint}}</td><td><code>{{type}}</code><br><code>{{eventID}}</code></td>
        <td class="status-{{status}}">{{status}}</td><td class="num">{{attempts}}</td><td>{{lastAttempt}}</td><td>{{nextAttempt}}</td><td class="flag">{{lastError}}</td>
        <td><form method="post" action="/console/outbound/messages/{{id}}/resend" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button>Resend</button></form></td></tr>{{/messages}}
        {{^messages}}<tr><td colspan="9">No messages.</td></tr>{{/messages}}
        </table>
        {{/content}}{{/layout}}
        """

    static let webhookSecret = """
        {{<layout}}{{$content}}
        <h1>{{heading}}</h1>
        <p>The signing secret of endpoint {{id}} (<code>{{url}}</code>). Copy it into the receiver now: it is shown only this once.</p>
        <p><input id="webhook-secret" value="{{secret}}" size="60" readonly></p>
        {{#previousUntil}}<p>The previous secret keeps signing beside it until {{previousUntil}}.</p>{{/previousUntil}}
        <p><a href="/console/outbound">Back to outbound events</a></p>
        {{/content}}{{/layout}}
        """
}
