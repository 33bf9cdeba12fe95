"""The import profiles pages: each account's saved CSV mapping, to read, correct or forget.

Thin over transactions.import_profile_services, the same services as
/api/v1/import-profiles/: a name or mapping is checked there (a mapping as the CSV parser
would read it) and a refusal comes back beside its field, with nothing saved. Profiles are
looked up among the customer's own, so another customer's id is a 404.
"""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from smartbank.forms import service_errors_to_form
from transactions.import_forms import COLUMN_LABELS
from transactions.import_profile_services import import_profile_delete, import_profile_update
from transactions.models import ImportProfile

# How a mapping's settings read on the page (its columns are named as on the import page's
# review form, import_forms.COLUMN_LABELS, and shown counted from 1).
SETTING_LABELS = {
    "delimiter": "Separator",
    "encoding": "Text encoding",
    "has_header": "Header row",
    "header_row": "Header on line",
    "skip_rows": "Lines skipped at the top",
    "footer_rows": "Lines skipped at the end",
    "date_format": "Date format",
    "posted_date_format": "Booking date format",
    "day_first": "Dates",
    "decimal_separator": "Decimal separator",
    "thousands_separator": "Thousands separator",
    "debit_values": "Money out marked as",
    "credit_values": "Money in marked as",
}
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar", " ": "space"}


def _shown(key: str, value) -> str:
    if key in ("delimiter", "decimal_separator", "thousands_separator"):
        if value == "":
            return "none"
        name = DELIMITER_NAMES.get(value)
        return f"{name} ({value})" if name and value.strip() else name or str(value)
    if key == "has_header":
        return "yes" if value else "no"
    if key == "day_first":
        return "day before month" if value else "month before day"
    if key == "header_row":
        return str(value + 1)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def describe_mapping(mapping: dict) -> list[tuple[str, str]]:
    """A saved mapping as (label, value) lines a person reads: "Money in: column 3"."""
    lines = []
    for key, label in COLUMN_LABELS.items():
        value = mapping.get(key)
        if value is None or value == []:
            continue
        if isinstance(value, list):
            lines.append((label, "columns " + ", ".join(str(v + 1) for v in value)))
        else:
            lines.append((label, f"column {value + 1}"))
    for key, label in SETTING_LABELS.items():
        if mapping.get(key) is not None:
            lines.append((label, _shown(key, mapping[key])))
    known = COLUMN_LABELS.keys() | SETTING_LABELS.keys()
    lines.extend((key, json.dumps(value)) for key, value in mapping.items() if key not in known)
    return lines


class MappingField(forms.JSONField):
    """A CSV mapping as JSON, shown indented; transactions.imports.clean_csv_mapping checks it."""

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


class ImportProfileForm(forms.Form):
    """Carries the name and mapping to import_profile_update, which checks both."""

    name = forms.CharField(
        label="Name",
        required=False,
        help_text="Your name for it, e.g. the bank's.",
        widget=forms.TextInput(
            attrs={
                "maxlength": ImportProfile._meta.get_field("name").max_length,
                "autocomplete": "off",
            }
        ),
    )
    mapping = MappingField(
        label="Mapping (JSON)",
        required=False,
        help_text=(
            "How this account's next CSV files are read, e.g. "
            '<code>{"delimiter": ";", "date_column": 0, "credit_column": 2, '
            '"debit_column": 3, "day_first": true}</code>. Here columns count from 0 (the '
            "first); settings left out are detected from each file."
        ),
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
        error_messages={"invalid": "This is not valid JSON: check the quotes and commas."},
    )


def _profiles(user):
    # The owner is joined because the services ask whether staff are changing it.
    return ImportProfile.objects.for_user(user).select_related("account", "user")


def _own_profile(request, pk: int) -> ImportProfile:
    return get_object_or_404(_profiles(request.user), pk=pk)


class ImportProfileListView(LoginRequiredMixin, View):
    def get(self, request):
        profiles = list(_profiles(request.user).order_by("account__name", "id"))
        items = [
            {"profile": profile, "mapping": describe_mapping(profile.mapping)}
            for profile in profiles
        ]
        return render(request, "transactions/import_profiles.html", {"items": items})


class ImportProfileEditView(LoginRequiredMixin, View):
    """Rename a profile or correct its mapping; a refused mapping saves nothing (400)."""

    template_name = "transactions/import_profile_form.html"

    def get(self, request, pk: int):
        profile = _own_profile(request, pk)
        form = ImportProfileForm(initial={"name": profile.name, "mapping": profile.mapping})
        return self._render(profile, form)

    def post(self, request, pk: int):
        profile = _own_profile(request, pk)
        form = ImportProfileForm(request.POST)
        if form.is_valid():
            try:
                # The service checks the name and the mapping before it saves either.
                profile = import_profile_update(
                    profile=profile,
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    mapping=form.cleaned_data["mapping"],
                )
            except ValidationError as exc:
                service_errors_to_form(form, exc)
            else:
                messages.success(request, f"The import profile of {profile.account.name} is saved.")
                return redirect("transactions-web:import-profiles")
        return self._render(profile, form, status=400)

    def _render(self, profile, form, *, status=200):
        context = {"profile": profile, "form": form}
        return render(self.request, self.template_name, context, status=status)


class ImportProfileDeleteView(LoginRequiredMixin, View):
    """GET asks to confirm; POST forgets the mapping. Imports already made are not touched."""

    def get(self, request, pk: int):
        profile = _own_profile(request, pk)
        context = {"profile": profile}
        return render(request, "transactions/import_profile_delete.html", context)

    def post(self, request, pk: int):
        profile = _own_profile(request, pk)
        account_name = profile.account.name
        import_profile_delete(profile=profile, actor=request.user)
        messages.success(
            request,
            f"The import profile of {account_name} is forgotten: its next CSV file is "
            "detected afresh.",
        )
        return redirect("transactions-web:import-profiles")
