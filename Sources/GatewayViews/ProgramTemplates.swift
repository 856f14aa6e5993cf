extension ConsoleTemplates {
    /// The console's forms and the pages to work in (referrals, plans, settings).
    static let programTemplates: [String: String] = ["form": form, "formSection": formSection, "work": work]

    /// A form: the refusal above it when it names no field, each field's refusal beside it.
    static let form = """
        <form method="post" action="{{action}}" class="edit" data-form="{{name}}"><input type="hidden" name="csrf" value="{{csrf}}">
        {{#formError}}<p class="error" role="alert">{{formError}}</p>{{/formError}}
        {{#fields}}<p><label>{{label}} {{#isSelect}}<select name="{{name}}">{{#choices}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{text}}</option>{{/choices}}</select>{{/isSelect}}{{#isTextarea}}<textarea name="{{name}}" rows="3" cols="50">{{value}}</textarea>{{/isTextarea}}{{#isInput}}<input type="{{type}}" name="{{name}}" value="{{value}}"{{#required}} required{{/required}}>{{/isInput}}</label>{{#fieldError}} <span class="error" data-field="{{name}}" role="alert">{{fieldError}}</span>{{/fieldError}}{{#help}} <small>{{help}}</small>{{/help}}</p>
        {{/fields}}<button type="submit">{{submit}}</button></form>
        """

    static let formSection = """
        <section class="work noprint"><h2>{{heading}}</h2>{{#note}}<p>{{note}}</p>{{/note}}{{#form}}{{>form}}{{/form}}</section>
        """

    static let work = """
        {{<layout}}{{$content}}
        <h1>{{heading}}</h1>
        {{#intro}}<p>{{intro}}</p>{{/intro}}
        {{#tables}}{{#caption}}<h2>{{caption}}</h2>{{/caption}}
        <table class="{{cssClass}}"><tr>{{#headers}}<th>{{.}}</th>{{/headers}}</tr>
        {{#rows}}<tr data-row="{{key}}">{{#cells}}<td>{{#link}}<a href="{{link}}">{{text}}</a>{{/link}}{{^link}}{{text}}{{/link}}</td>{{/cells}}</tr>
        {{/rows}}{{^rows}}<tr><td colspan="{{columns}}">{{empty}}</td></tr>{{/rows}}
        </table>{{/tables}}
        {{#sections}}{{>formSection}}{{/sections}}
        {{/content}}{{/layout}}
        """
}
