"""Shared pieces of the staff console: admin forms whose save is a service call.

Money and customers' data change only through services (accounts.services,
transactions.services), which validate, keep the ledger and write the audit log. The admin
must not save those models itself, so its forms call the service instead, and the
service's ValidationError (insufficient funds, a currency that cannot change) comes back as
a form error rather than a server error.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction as db_transaction
from django_celery_beat.admin import PeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask


class ServiceFormMixin:
    """A ModelForm mixin whose ``apply()`` calls a service; ``save()`` returns what it saved.

    The service runs at the end of validation, in a savepoint. That is safe because the
    admin validates and saves a form inside one database transaction
    (``ModelAdmin.changeform_view``): a service error rolls back to the savepoint and
    becomes a form error, and a later failure rolls everything back. ``actor`` is the
    staff user, set by ``ServiceAdminMixin.get_form``.
    """

    actor = None
    saved_object = None

    def apply(self) -> Any:
        raise NotImplementedError

    def _post_clean(self) -> None:
        super()._post_clean()
        if self._errors:
            return
        try:
            with db_transaction.atomic():
                self.saved_object = self.apply()
        except ValidationError as exc:
            self.add_service_errors(exc)

    def add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for field, errors in exc.error_dict.items():
            if field in self.fields:
                self.add_error(field, errors)
                continue
            # A field the form does not show (a read-only one such as opening_balance).
            label = "" if field in (NON_FIELD_ERRORS, "detail") else f"{capfirst_name(field)}: "
            for error in errors:
                for message in error.messages:
                    self.add_error(None, f"{label}{message}")

    def changed_values(self, allowed: tuple[str, ...]) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in allowed and name in self.cleaned_data
        }

    def save(self, commit: bool = True) -> Any:
        if self.saved_object is None:
            raise ValueError("This form has no saved object: it did not validate.")
        return self.saved_object

    def save_m2m(self) -> None:
        """Relations are the service's business; ModelAdmin.save_related calls this."""


def capfirst_name(field: str) -> str:
    return field.replace("_", " ").capitalize()


class ServiceAdminMixin:
    """A ModelAdmin mixin for models written only through services (see ServiceFormMixin).

    ``add_form`` is the form for the add page, ``form`` the one for the change page.
    """

    add_form: type[forms.ModelForm] | None = None

    def get_form(self, request, obj=None, **kwargs):
        if obj is None and self.add_form is not None:
            kwargs.setdefault("form", self.add_form)
        form_class = super().get_form(request, obj, **kwargs)
        # modelform_factory builds a new class on every call, so this is per request.
        form_class.actor = request.user
        return form_class

    def save_model(self, request, obj, form, change) -> None:
        """The form's service call has saved it already, in this database transaction."""


class StaffPeriodicTaskAdmin(PeriodicTaskAdmin):
    """django_celery_beat's admin, with its actions kept for staff who may change tasks.

    Its enable / disable / toggle / run actions check no permission, so an auditor who
    may only view periodic tasks could otherwise switch them off or run them.
    """

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_change_permission(request):
            for name in ("enable_tasks", "disable_tasks", "toggle_tasks", "run_tasks"):
                actions.pop(name, None)
        return actions


if admin.site.is_registered(PeriodicTask):
    admin.site.unregister(PeriodicTask)
admin.site.register(PeriodicTask, StaffPeriodicTaskAdmin)
