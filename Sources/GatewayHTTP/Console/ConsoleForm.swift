import GatewayCore

/// A console form as the `form` template draws it: every field with what was typed and, after a
/// refusal, the engine's reason beside the field it names (or above the form when it names none).
///
/// The template reads stored properties only, so what a field is (`isSelect`, …) is stored too.
struct ConsoleForm {
    struct Choice {
        var value: String
        var text: String
        var selected = false
    }

    struct Field {
        var name: String
        var label: String
        var type: String
        var value: String
        var choices: [Choice]
        var help: String?
        var required: Bool
        var fieldError: String?
        var isSelect: Bool
        var isTextarea: Bool
        var isInput: Bool

        /// A text input (`type` `text`, `date`, `email`, `number`).
        static func input(_ name: String, _ label: String, type: String = "text", value: String = "", required: Bool = false, help: String? = nil) -> Field {
            Field(
                name: name, label: label, type: type, value: value, choices: [], help: help, required: required, isSelect: false, isTextarea: false,
                isInput: true)
        }

        static func textarea(_ name: String, _ label: String, value: String = "", help: String? = nil) -> Field {
            Field(
                name: name, label: label, type: "", value: value, choices: [], help: help, required: false, isSelect: false, isTextarea: true,
                isInput: false)
        }

        /// A choice among `choices` (value, text), `value` selected.
        static func select(_ name: String, _ label: String, _ choices: [(String, String)], value: String = "", help: String? = nil) -> Field {
            Field(
                name: name, label: label, type: "", value: value, choices: choices.map { Choice(value: $0.0, text: $0.1, selected: $0.0 == value) },
                help: help, required: false, isSelect: true, isTextarea: false, isInput: false)
        }

        /// The field showing `value` instead of what it held.
        func showing(_ value: String) -> Field {
            var field = self
            field.value = value
            field.choices = choices.map { Choice(value: $0.value, text: $0.text, selected: $0.value == value) }
            return field
        }
    }

    /// Names the form among a page's forms, so a refusal is shown on the one that was sent.
    var name: String
    var action: String
    var submit: String
    var fields: [Field]
    var formError: String?

    init(name: String, action: String, submit: String, fields: [Field]) {
        self.name = name
        self.action = action
        self.submit = submit
        self.fields = fields
    }

    /// The form as it was sent, refused: what was typed stays, and the reason stands beside its
    /// field.
    func refused(_ refusal: Refusal?) -> ConsoleForm {
        guard let refusal, refusal.form == name else { return self }
        var form = self
        form.fields = fields.map { field in
            var field = field.showing(refusal.values[field.name] ?? "")
            if refusal.error.field == field.name { field.fieldError = refusal.error.message }
            return field
        }
        if refusal.error.field == nil || !fields.contains(where: { $0.name == refusal.error.field }) {
            form.formError = refusal.error.message
        }
        return form
    }

    /// A form the engine refused: which one, why, and what it held.
    struct Refusal {
        var form: String
        var error: GatewayError
        var values: [String: String]
    }
}

/// A form with its heading, as a page lists it.
struct ConsoleFormSection {
    var heading: String
    var note: String?
    var form: ConsoleForm
}
