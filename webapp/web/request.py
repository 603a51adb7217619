"""The request class of the app: no NUL in form fields.

A NUL in a field is refused (422, with the field's name) as soon as the form is read,
before a view, the CSRF check or the database sees it: PostgreSQL cannot take it in a
query or a column, and no form of ours has a use for it. JSON bodies are checked by
`json_input` (Flask parses them through `app.json`). Bytes that are not UTF-8 in forms
and query strings need nothing: werkzeug keeps them as their %-escapes, never as
surrogates.
"""
from flask import Request

from webapp.web.json_input import nul_refusal


class CheckedRequest(Request):
    def _load_form_data(self):
        parsed_now = "form" not in self.__dict__
        super()._load_form_data()
        if parsed_now:
            for name, value in self.form.items(multi=True):
                if "\x00" in value or "\x00" in name:
                    raise nul_refusal(name.replace("\x00", "\\u0000")[:40])
