"""Changes to saved import profiles (an account's CSV mapping), by the customer or by staff.

A profile is written first by an import that asks to save its mapping
(transactions.imports.import_profile_save); here the customer renames it, corrects the
mapping, or deletes it. A mapping is checked by the CSV parser's own validation, so a saved
profile is always one the next import can use. A change staff make to a customer's profile
is written to the audit log.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction

from accounts.models import User
from accounts.services import audit_if_staff
from transactions.imports import clean_csv_mapping
from transactions.models import ImportProfile

_UNSET: Any = object()


@db_transaction.atomic
def import_profile_update(
    *, profile: ImportProfile, actor: User | None, name: str = _UNSET, mapping: dict = _UNSET
) -> ImportProfile:
    """Rename a profile or replace its mapping; what is not given stays as it is."""
    changes: dict[str, tuple[Any, Any]] = {}
    if name is not _UNSET:
        name = (name or "").strip()
        if len(name) > ImportProfile._meta.get_field("name").max_length:
            raise ValidationError({"name": "At most 100 characters."})
        if name != profile.name:
            changes["name"] = (profile.name, name)
    if mapping is not _UNSET:
        mapping = clean_csv_mapping(mapping)
        if mapping != profile.mapping:
            changes["mapping"] = (profile.mapping, mapping)
    if not changes:
        return profile
    for field, (_, new) in changes.items():
        setattr(profile, field, new)
    profile.save(update_fields=[*changes, "updated_at"])
    audit_if_staff(
        actor=actor,
        owner=profile.user,
        action="import_profile.update",
        target=profile,
        changes=changes,
    )
    return profile


@db_transaction.atomic
def import_profile_delete(*, profile: ImportProfile, actor: User | None) -> None:
    """Forget an account's saved mapping: its next CSV file is detected afresh."""
    audit_if_staff(
        actor=actor,
        owner=profile.user,
        action="import_profile.delete",
        target=profile,
        changes={"account": (profile.account_id, None), "mapping": (profile.mapping, None)},
    )
    profile.delete()
