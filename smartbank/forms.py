"""What every web form shares: a service's refusal shown on the form that asked.

The pages call the same services as the API, which check every rule once and raise
django.core.exceptions.ValidationError; the page puts each message beside the field it
names, or above the form when the form has no such field.
"""

from django import forms
from django.core.exceptions import ValidationError


def service_errors_to_form(
    form: forms.Form, exc: ValidationError, *, aliases: dict[str, str] | None = None
) -> None:
    """``exc`` onto ``form``: beside the field each message names, else on top.

    ``aliases`` maps a service's field name to the form's (a category's slug, which the
    page does not ask for, onto its name).
    """
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        name = (aliases or {}).get(name, name)
        form.add_error(name if name in form.fields else None, errors)
