"""The statement import pages: upload, review the dry run, follow the batch, undo.

The same services as the API (transactions.imports) and the same task. Between the dry run
and the confirmation the uploaded file waits in the cache (Redis in production, so any web
process can take the confirmation) under a random token bound to the customer; the dry run
itself writes nothing to the database, as the API's does not.
"""

import re
import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views import View

from accounts.models import BankAccount
from smartbank.forms import service_errors_to_form
from smartbank.web import money_html
from transactions import imports
from transactions.import_forms import (
    ImportLinkTransferForm,
    ImportReconcileForm,
    ImportReviewForm,
    ImportUploadForm,
)
from transactions.importing.base import StatementError
from transactions.models import ImportBatch, ImportProfile, Transaction
from transactions.tasks import import_run_task

# How long an uploaded file waits for its confirmation.
STAGED_UPLOAD_SECONDS = 60 * 60
RECENT_IMPORTS = 10
FINISHED = (ImportBatch.Status.DONE, ImportBatch.Status.FAILED, ImportBatch.Status.UNDONE)


def _staged_key(user_id: int, token: str) -> str:
    return f"transactions:import-upload:{user_id}:{token}"


def _recent_batches(user):
    return (
        ImportBatch.objects.for_user(user)
        .select_related("account")
        .only(
            "pk",
            "filename",
            "status",
            "created_at",
            "rows_created",
            "rows_rejected",
            "rows_skipped",
            "account__name",
        )[:RECENT_IMPORTS]
    )


def _review_context(
    *, staged: dict[str, Any], preview: dict[str, Any], form: ImportReviewForm, account
) -> dict[str, Any]:
    return {
        "form": form,
        "preview": preview,
        "account": account,
        "filename": staged["filename"],
    }


def _review_form(
    preview: dict[str, Any], data=None, *, token: str = "", user=None
) -> ImportReviewForm:
    mapping = preview.get("mapping") or {}
    file_accounts = preview.get("accounts") or []
    # The customer's accounts are read only when the file holds several to choose between.
    own_accounts = (
        list(BankAccount.objects.for_user(user).active().order_by("name", "pk"))
        if len(file_accounts) > 1
        else []
    )
    return ImportReviewForm(
        data,
        initial={"token": token},
        shown_mapping=mapping,
        columns=list(mapping.get("columns") or []),
        is_csv=preview["format"] == "csv",
        ask_day_first=bool(preview.get("question")),
        file_accounts=file_accounts,
        own_accounts=own_accounts,
    )


class ImportStartView(LoginRequiredMixin, View):
    """Choose an account and a file; the answer is the dry run of that file."""

    template_name = "transactions/import.html"

    def get(self, request):
        form = ImportUploadForm(user=request.user)
        return self._render(form)

    def post(self, request):
        form = ImportUploadForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return self._render(form, status=400)
        account = form.cleaned_data["account"]
        upload = form.cleaned_data["file"]
        profile = ImportProfile.objects.filter(account=account).first()
        staged = {
            "account_id": account.pk,
            "filename": upload.name,
            "data": form.content,
            # A saved profile is where the customer's changes start from, as in the API.
            "overrides": dict(profile.mapping) if profile else {},
            # The customer's choices for a file of several accounts: file number -> id.
            "account_map": {},
        }
        try:
            preview = imports.import_preview(
                user=request.user,
                account=account,
                filename=upload.name,
                data=form.content,
                mapping=staged["overrides"] or None,
            )
        except StatementError as exc:
            form.add_error("file", str(exc))
            return self._render(form, status=400)
        token = secrets.token_urlsafe(24)
        cache.set(_staged_key(request.user.pk, token), staged, STAGED_UPLOAD_SECONDS)
        review = _review_form(preview, token=token, user=request.user)
        context = _review_context(staged=staged, preview=preview, form=review, account=account)
        return render(request, "transactions/import_review.html", context)

    def _render(self, form, status=200):
        context = {"form": form, "recent": _recent_batches(self.request.user)}
        return render(self.request, self.template_name, context, status=status)


class ImportReviewView(LoginRequiredMixin, View):
    """Preview again with a changed mapping, or confirm: a batch and the import task."""

    def post(self, request):
        token = request.POST.get("token", "")
        # Only what token_urlsafe makes: anything else cannot name a staged upload.
        well_formed = re.fullmatch(r"[A-Za-z0-9_-]{1,64}", token) is not None
        key = _staged_key(request.user.pk, token if well_formed else "")
        staged = cache.get(key) if well_formed else None
        if staged is None:
            messages.error(
                request, "That upload has expired or was imported already; choose the file again."
            )
            return redirect("transactions-web:import")
        account = get_object_or_404(
            BankAccount.objects.for_user(request.user).active(), pk=staged["account_id"]
        )
        staged.setdefault("account_map", {})
        shown = self._preview(request, staged, account, staged["overrides"], staged["account_map"])
        form = _review_form(shown, request.POST, token=token, user=request.user)
        if not form.is_valid():
            return self._render(request, staged, shown, form, account, status=400)
        overrides = form.overrides(staged["overrides"])
        account_map = form.account_map(staged["account_map"])
        try:
            # Read again only when the settings changed: a big file takes a while to parse.
            preview = (
                shown
                if (overrides, account_map) == (staged["overrides"], staged["account_map"])
                else self._preview(request, staged, account, overrides, account_map)
            )
        except StatementError as exc:
            form.add_error(None, f"The file cannot be read with these settings: {exc}")
            return self._render(request, staged, shown, form, account, status=400)
        staged["overrides"] = overrides
        staged["account_map"] = account_map
        cache.set(key, staged, STAGED_UPLOAD_SECONDS)
        wants_import = form.cleaned_data.get("action") == "import"
        if not wants_import or preview.get("question"):
            review = _review_form(preview, token=token, user=request.user)
            if wants_import:
                # The new settings made the dates ambiguous: the question is asked first.
                review = _review_form(
                    preview,
                    {**request.POST.dict(), "token": token},
                    token=token,
                    user=request.user,
                )
                review.is_valid()
            return self._render(request, staged, preview, review, account)
        try:
            with db_transaction.atomic():
                batch = imports.import_create(
                    user=request.user,
                    account=account,
                    filename=staged["filename"],
                    data=staged["data"],
                    mapping=overrides,
                    options={
                        "account_map": account_map,
                        "save_profile": form.cleaned_data["save_profile"],
                    },
                )
                db_transaction.on_commit(lambda: import_run_task.delay(batch.pk))
        except ValidationError as exc:
            form.add_error(None, "; ".join(exc.messages))
            return self._render(request, staged, preview, form, account, status=400)
        cache.delete(key)
        return redirect("transactions-web:import-batch", pk=batch.pk)

    @staticmethod
    def _preview(request, staged, account, overrides, account_map) -> dict[str, Any]:
        return imports.import_preview(
            user=request.user,
            account=account,
            filename=staged["filename"],
            data=staged["data"],
            mapping=overrides or None,
            account_map=account_map,
        )

    @staticmethod
    def _render(request, staged, preview, form, account, status=200):
        context = _review_context(staged=staged, preview=preview, form=form, account=account)
        return render(request, "transactions/import_review.html", context, status=status)


def _own_batch(request, pk: int) -> ImportBatch:
    return get_object_or_404(
        ImportBatch.objects.for_user(request.user).select_related("account").defer("file_data"),
        pk=pk,
    )


def _offered_transfers(batch: ImportBatch, user) -> list[dict[str, Any]]:
    """The pairs the import offered as transfers that are still two plain rows, each row
    with its account (one query)."""
    offered = batch.transfer_candidates or []
    ids = {pk for pair in offered for pk in (pair["outgoing"], pair["incoming"])}
    if not ids:
        return []
    rows = (
        Transaction.objects.for_user(user)
        .filter(pk__in=ids, transfer_id__isnull=True)
        .select_related("account")
        .only("pk", "txn_date", "description", "merchant", "amount", "currency", "account__name")
        .in_bulk()
    )
    return [
        {"outgoing": rows[pair["outgoing"]], "incoming": rows[pair["incoming"]]}
        for pair in offered
        if pair["outgoing"] in rows and pair["incoming"] in rows
    ]


def _batch_page(request, batch: ImportBatch, status: int = 200):
    """One import: its progress (followed by static/transactions/import.js), then its counts,
    every row it skipped or refused, the statement's balances against the ledger and the
    transfers it offers."""
    finished = batch.status in FINISHED
    checks = list(batch.reconciliation or []) if finished else []
    # The accounts the statement states balances for, named (one query; none usually).
    accounts = (
        {
            pk: (name, currency)
            for pk, name, currency in BankAccount.objects.for_user(request.user)
            .filter(pk__in={check["account"] for check in checks})
            .values_list("pk", "name", "currency")
        }
        if checks
        else {}
    )
    balance_checks = [
        {
            **check,
            "account_name": accounts[check["account"]][0],
            "currency": accounts[check["account"]][1],
        }
        for check in checks
        if check["account"] in accounts
    ]
    context = {
        "batch": batch,
        "progress": imports.batch_progress(batch),
        "balance_checks": balance_checks,
        "offered_transfers": (
            _offered_transfers(batch, request.user)
            if batch.status == ImportBatch.Status.DONE
            else []
        ),
        "finished": finished,
        "api_url": reverse("importbatch-detail", args=[batch.pk]),
    }
    return render(request, "transactions/import_batch.html", context, status=status)


class ImportBatchView(LoginRequiredMixin, View):
    def get(self, request, pk: int):
        return _batch_page(request, _own_batch(request, pk))


class ImportReconcileView(LoginRequiredMixin, View):
    """Move an account's opening balance so it agrees with the statement (as the API's
    reconcile/); audited."""

    def post(self, request, pk: int):
        batch = _own_batch(request, pk)
        form = ImportReconcileForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                account = imports.import_reconcile(
                    batch=batch, account=form.cleaned_data["account"], actor=request.user
                )
            except ValidationError as exc:
                service_errors_to_form(form, exc)
            else:
                messages.success(
                    request,
                    format_html(
                        "{} now agrees with the statement: its opening balance is {}.",
                        account.name,
                        money_html(account.opening_balance, account.currency),
                    ),
                )
                return redirect("transactions-web:import-batch", pk=batch.pk)
        return _refused(request, batch, form)


class ImportLinkTransferView(LoginRequiredMixin, View):
    """Accept one of the transfers the import offered: two rows become one transfer (as the
    API's link-transfer/); balances do not move."""

    def post(self, request, pk: int):
        batch = _own_batch(request, pk)
        form = ImportLinkTransferForm(request.POST)
        if form.is_valid():
            try:
                imports.import_accept_transfer(
                    batch=batch,
                    outgoing_id=form.cleaned_data["outgoing"],
                    incoming_id=form.cleaned_data["incoming"],
                )
            except ValidationError as exc:
                service_errors_to_form(form, exc)
            else:
                messages.success(
                    request, "The two rows are now one transfer between your accounts."
                )
                return redirect("transactions-web:import-batch", pk=batch.pk)
        return _refused(request, batch, form)


def _refused(request, batch: ImportBatch, form) -> Any:
    """The batch page again with why the action was refused (its buttons have no fields to
    put an error beside)."""
    for field, errors in form.errors.items():
        label = "" if field == "__all__" else f"{form.fields[field].label or field}: "
        for error in errors:
            messages.error(request, f"{label}{error}")
    return _batch_page(request, batch, status=400)


class ImportUndoView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        batch = get_object_or_404(
            ImportBatch.objects.for_user(request.user).defer("file_data"), pk=pk
        )
        try:
            imports.import_undo(batch=batch, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, f"The import of {batch.filename} is undone; the balances are back."
            )
        return redirect("transactions-web:import-batch", pk=batch.pk)
