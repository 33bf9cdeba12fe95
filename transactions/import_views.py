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
from django.views import View

from accounts.models import BankAccount
from transactions import imports
from transactions.import_forms import ImportReviewForm, ImportUploadForm
from transactions.importing.base import StatementError
from transactions.models import ImportBatch, ImportProfile
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


def _review_form(preview: dict[str, Any], data=None, *, token: str = "") -> ImportReviewForm:
    mapping = preview.get("mapping") or {}
    return ImportReviewForm(
        data,
        initial={"token": token},
        shown_mapping=mapping,
        columns=list(mapping.get("columns") or []),
        is_csv=preview["format"] == "csv",
        ask_day_first=bool(preview.get("question")),
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
        review = _review_form(preview, token=token)
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
        shown = self._preview(request, staged, account, staged["overrides"])
        form = _review_form(shown, request.POST, token=token)
        if not form.is_valid():
            return self._render(request, staged, shown, form, account, status=400)
        overrides = form.overrides(staged["overrides"])
        try:
            # Read again only when the settings changed: a big file takes a while to parse.
            preview = (
                shown
                if overrides == staged["overrides"]
                else self._preview(request, staged, account, overrides)
            )
        except StatementError as exc:
            form.add_error(None, f"The file cannot be read with these settings: {exc}")
            return self._render(request, staged, shown, form, account, status=400)
        staged["overrides"] = overrides
        cache.set(key, staged, STAGED_UPLOAD_SECONDS)
        wants_import = form.cleaned_data.get("action") == "import"
        if not wants_import or preview.get("question"):
            review = _review_form(preview, token=token)
            if wants_import:
                # The new settings made the dates ambiguous: the question is asked first.
                review = _review_form(preview, {**request.POST.dict(), "token": token}, token=token)
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
                    options={"account_map": {}, "save_profile": form.cleaned_data["save_profile"]},
                )
                db_transaction.on_commit(lambda: import_run_task.delay(batch.pk))
        except ValidationError as exc:
            form.add_error(None, "; ".join(exc.messages))
            return self._render(request, staged, preview, form, account, status=400)
        cache.delete(key)
        return redirect("transactions-web:import-batch", pk=batch.pk)

    @staticmethod
    def _preview(request, staged, account, overrides) -> dict[str, Any]:
        return imports.import_preview(
            user=request.user,
            account=account,
            filename=staged["filename"],
            data=staged["data"],
            mapping=overrides or None,
        )

    @staticmethod
    def _render(request, staged, preview, form, account, status=200):
        context = _review_context(staged=staged, preview=preview, form=form, account=account)
        return render(request, "transactions/import_review.html", context, status=status)


class ImportBatchView(LoginRequiredMixin, View):
    """One import: its progress (followed by static/transactions/import.js), then its counts
    and every row it skipped or refused."""

    def get(self, request, pk: int):
        batch = get_object_or_404(
            ImportBatch.objects.for_user(request.user).select_related("account").defer("file_data"),
            pk=pk,
        )
        # The statement's closing balance against the ledger, for the account imported into
        # (a file of several accounts lists the others' in the API's reconciliation).
        balance_checks = [
            check
            for check in batch.reconciliation or []
            if check.get("account") == batch.account_id
        ]
        context = {
            "batch": batch,
            "balance_checks": balance_checks,
            "finished": batch.status in FINISHED,
            "api_url": reverse("importbatch-detail", args=[batch.pk]),
        }
        return render(request, "transactions/import_batch.html", context)


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
