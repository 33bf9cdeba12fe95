"""Forms of the statement import page: the upload, then the mapping and the day/month answer."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import BankAccount
from smartbank.forms import service_errors_to_form
from transactions import imports
from transactions.importing.csv_parser import COLUMN_KEYS, COLUMN_LIST_KEYS

COLUMN_LABELS = {
    "date_column": "Date",
    "posted_date_column": "Booking date",
    "amount_column": "Amount",
    "debit_column": "Money out",
    "credit_column": "Money in",
    "indicator_column": "Debit/credit mark",
    "merchant_column": "Merchant",
    "payer_column": "Payer or payee",
    "currency_column": "Currency",
    "balance_column": "Balance",
    "reference_column": "Bank reference",
    "status_column": "Status (pending/booked)",
    "account_column": "Account number",
    "description_columns": "Description",
    "description_fallback_columns": "Description when the first is empty",
}
DELIMITERS = [(",", "Comma ,"), (";", "Semicolon ;"), ("\t", "Tab"), ("|", "Bar |")]
DECIMAL_SEPARATORS = [(".", "Point: 1234.56"), (",", "Comma: 1234,56")]
THOUSANDS_SEPARATORS = [
    ("", "None"),
    (",", "Comma: 1,234"),
    (".", "Point: 1.234"),
    ("'", "Apostrophe: 1'234"),
    (" ", "Space: 1 234"),
]
# The mapping keys the review form edits, in the order they are shown.
TEXT_LIST_KEYS = ("debit_values", "credit_values")
NUMBER_KEYS = ("header_row", "skip_rows", "footer_rows")


class ImportUploadForm(forms.Form):
    account = forms.ModelChoiceField(
        queryset=BankAccount.objects.none(),
        label="Account",
        empty_label="Choose an account",
        help_text="The rows go to this account.",
        error_messages={"invalid_choice": "Choose one of your open accounts."},
    )
    file = forms.FileField(
        label="Statement file",
        help_text="CSV, OFX/QFX, QIF or CAMT.053 XML, as your bank exports it.",
        error_messages={"empty": "The file is empty."},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = (
            BankAccount.objects.for_user(user).active().order_by("name", "pk")
        )
        self.content = b""

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        try:
            # Refused by its declared size before it is read into memory.
            imports.check_upload_size(upload.size)
            self.content = upload.read()
            imports.check_upload(self.content, filename=upload.name)
        except ValidationError as exc:
            service_errors_to_form(self, exc)
        return cleaned


class CommaListField(forms.CharField):
    """Texts separated by commas ("D, DR, DEBIT") <-> a list of texts."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        return [part.strip() for part in text.split(",") if part.strip()]


class ImportReviewForm(forms.Form):
    """The dry run's answers: the CSV mapping (as form controls) and the day/month question.

    Built from what the dry run showed: ``shown_mapping`` is the mapping the file was read
    with, ``columns`` its header names, ``ask_day_first`` whether the dates are ambiguous.
    ``overrides()`` gives only what the customer changed, so everything else stays detected
    (a date format the parser chose from its day-first guess is not pinned by accident).
    """

    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    # The two submit buttons' value: read the file again, or import it.
    action = forms.ChoiceField(
        choices=[("preview", "Preview again"), ("import", "Import")], required=False
    )
    day_first = forms.TypedChoiceField(
        label="How are the dates written?",
        choices=[
            ("true", "Day first: 03/04/2025 is 3 April 2025"),
            ("false", "Month first: 03/04/2025 is 4 March 2025"),
        ],
        coerce=lambda value: value == "true",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    save_profile = forms.BooleanField(
        label="Remember this mapping for the account",
        required=False,
        help_text="The next file from this bank is read the same way, with no questions.",
    )

    def __init__(
        self,
        *args,
        shown_mapping: dict[str, Any] | None,
        columns: list[str],
        is_csv: bool,
        ask_day_first: bool,
        file_accounts: list[dict[str, Any]] | None = None,
        own_accounts: list[BankAccount] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.shown_mapping = shown_mapping or {}
        self.is_csv = is_csv
        self.ask_day_first = ask_day_first
        if not ask_day_first:
            del self.fields["day_first"]
        self._add_account_fields(file_accounts or [], own_accounts or [])
        if not is_csv:
            return
        column_choices = [("", "— not in the file —")] + [
            (str(index), f"{index + 1}: {name}" if name else f"Column {index + 1}")
            for index, name in enumerate(columns)
        ]
        mapping_fields: dict[str, forms.Field] = {}
        for key in COLUMN_KEYS:
            mapping_fields[key] = forms.TypedChoiceField(
                label=COLUMN_LABELS[key],
                choices=column_choices,
                coerce=int,
                empty_value=None,
                required=False,
            )
        for key in COLUMN_LIST_KEYS:
            mapping_fields[key] = forms.TypedMultipleChoiceField(
                label=COLUMN_LABELS[key],
                choices=column_choices[1:],
                coerce=int,
                required=False,
                help_text="Several columns are joined in order.",
            )
        delimiter = self.shown_mapping.get("delimiter")
        delimiters = list(DELIMITERS)
        if delimiter and delimiter not in dict(delimiters):
            delimiters.append((delimiter, repr(delimiter)))
        mapping_fields.update(
            {
                "delimiter": forms.ChoiceField(label="Column separator", choices=delimiters),
                "has_header": forms.BooleanField(
                    label="First row names the columns", required=False
                ),
                "header_row": forms.IntegerField(
                    label="Header line (0 is the first)",
                    min_value=0,
                    max_value=1000,
                    required=False,
                ),
                "skip_rows": forms.IntegerField(
                    label="Lines to skip at the top", min_value=0, max_value=1000
                ),
                "footer_rows": forms.IntegerField(
                    label="Lines to skip at the end", min_value=0, max_value=1000
                ),
                "date_format": forms.CharField(
                    label="Date format",
                    max_length=40,
                    required=False,
                    help_text="e.g. %d.%m.%Y for 31.03.2025; empty to detect it.",
                ),
                "posted_date_format": forms.CharField(
                    label="Booking date format", max_length=40, required=False
                ),
                "decimal_separator": forms.ChoiceField(
                    label="Decimal separator", choices=DECIMAL_SEPARATORS
                ),
                "thousands_separator": forms.ChoiceField(
                    label="Thousands separator", choices=THOUSANDS_SEPARATORS, required=False
                ),
                "debit_values": CommaListField(
                    label="Marks meaning money out",
                    max_length=200,
                    required=False,
                    help_text="Separated by commas.",
                ),
                "credit_values": CommaListField(
                    label="Marks meaning money in",
                    max_length=200,
                    required=False,
                    help_text="Separated by commas.",
                ),
                "encoding": forms.CharField(label="Text encoding", max_length=40),
            }
        )
        # A submission without any of the mapping's controls (it only answers the question, or
        # only confirms) leaves the mapping as shown.
        self.mapping_sent = self.is_bound and any(
            key in self.data for key in mapping_fields if key != "has_header"
        )
        for key, field in mapping_fields.items():
            field.widget.attrs["data-mapping-key"] = key
            if self.is_bound and not self.mapping_sent:
                field.required = False
            self.fields[key] = field
            if not self.is_bound:
                self.initial[key] = self._initial_value(key)
        self.mapping_keys = tuple(mapping_fields)

    def _add_account_fields(
        self, file_accounts: list[dict[str, Any]], own_accounts: list[BankAccount]
    ) -> None:
        """For a file of several accounts: which of the customer's accounts each one is.

        One choice per account in the file, as the dry run mapped it (by the last four
        digits); an account left unmatched is skipped, and its rows are listed as such.
        """
        self.file_accounts: list[tuple[dict[str, Any], forms.BoundField]] = []
        if len(file_accounts) < 2:
            return
        choices = [(str(account.pk), str(account)) for account in own_accounts]
        for index, shown in enumerate(sorted(file_accounts, key=lambda a: a["ref"] or "")):
            name = f"account_ref_{index}"
            mapped = shown.get("mapped_to")
            self.fields[name] = forms.TypedChoiceField(
                label=f"Account {shown['ref'] or '(no number)'} goes to",
                choices=([] if mapped else [("", "Not imported (its rows are skipped)")]) + choices,
                coerce=int,
                empty_value=None,
                required=False,
                error_messages={"invalid_choice": "Choose one of your open accounts."},
            )
            # The page describes the account (its currency and closing balance) below it.
            self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}_helptext"
            self.initial.setdefault(name, str(mapped) if mapped else "")
            self.file_accounts.append((shown, self[name]))

    def account_map(self, previous: dict[str, int]) -> dict[str, int]:
        """``previous`` plus the accounts chosen in this submission: file number -> id."""
        chosen = dict(previous)
        for shown, field in self.file_accounts:
            account_id = self.cleaned_data.get(field.name)
            if account_id is not None:
                chosen[shown["ref"]] = account_id
        return chosen

    def _initial_value(self, key: str) -> Any:
        value = self.shown_mapping.get(key)
        if key in COLUMN_KEYS:
            return "" if value is None else str(value)
        if key in COLUMN_LIST_KEYS:
            return [str(v) for v in value or []]
        return value

    @property
    def mapping_fields(self) -> list[forms.BoundField]:
        return [self[key] for key in getattr(self, "mapping_keys", ())]

    @property
    def column_fields(self) -> list[forms.BoundField]:
        return [self[key] for key in COLUMN_KEYS + COLUMN_LIST_KEYS if key in self.fields]

    @property
    def format_fields(self) -> list[forms.BoundField]:
        keys = set(COLUMN_KEYS) | set(COLUMN_LIST_KEYS)
        return [field for field in self.mapping_fields if field.name not in keys]

    def changes(self) -> dict[str, Any]:
        """The mapping settings this submission changed from the shown mapping."""
        changed: dict[str, Any] = {}
        if not getattr(self, "mapping_sent", False):
            return changed
        for key in self.mapping_keys:
            value = self.cleaned_data.get(key)
            shown = self.shown_mapping.get(key)
            if value in ("", []) and shown in ("", None, []):
                continue
            if value is None and shown in ("", None):
                continue
            if value != shown:
                changed[key] = value or None if key.endswith("date_format") else value
        return changed

    def overrides(self, previous: dict[str, Any]) -> dict[str, Any]:
        """``previous`` plus what this submission changed, plus the day/month answer."""
        changes = self.changes()
        overrides = {**previous, **changes}
        answer = self.cleaned_data.get("day_first")
        if answer is not None:
            overrides["day_first"] = answer
            # The format the parser picked came from its own guess; the answer decides it now.
            if "date_format" not in changes:
                overrides.pop("date_format", None)
        return overrides

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("action") == "import"
            and self.ask_day_first
            and cleaned.get("day_first") is None
        ):
            self.add_error("day_first", "Say how the dates are written before importing.")
        return cleaned


class ImportReconcileForm(forms.Form):
    """Which account of a finished import to make agree with the statement's balance."""

    account = forms.ModelChoiceField(
        queryset=BankAccount.objects.none(),
        error_messages={"invalid_choice": "Choose one of your open accounts."},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = BankAccount.objects.for_user(user).active()


class ImportLinkTransferForm(forms.Form):
    """One of the pairs an import offered as a transfer: the row out and the row in."""

    outgoing = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    incoming = forms.IntegerField(min_value=1, max_value=2**63 - 1)
