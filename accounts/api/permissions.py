"""Who may call a staff API view, by role.

Staff endpoints check the caller's ``User.role`` and nothing else: ``is_staff`` follows the
role (accounts.services.user_set_role) and the Django groups carry admin-site permissions,
not API access. A customer never passes a role check; what a customer may reach is decided
by scoped querysets (``for_user``), not by these classes.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from accounts.models import User


def has_staff_role(user, roles=User.STAFF_ROLES) -> bool:
    """Whether ``user`` is signed in, active, and holds one of ``roles`` (default: any staff)."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "role", None) in roles
        # A role list that names "customer" still lets no customer through.
        and user.role in User.STAFF_ROLES
    )


class StaffRole(BasePermission):
    """Allows only users whose role is one of ``roles``: ``StaffRole.of("admin", "auditor")``.

    An anonymous caller fails it too; DRF then answers 401 (not 403), because the JWT
    authenticator offers a challenge. Use it beside the default ``IsAuthenticated``::

        permission_classes = [*api_settings.DEFAULT_PERMISSION_CLASSES, StaffRole.of("admin")]
    """

    roles: frozenset[str] = frozenset()
    message = "Only staff may do this."

    @classmethod
    def of(cls, *roles: str) -> type[StaffRole]:
        """A permission class allowing exactly these staff roles (checked when defined)."""
        unknown = sorted(set(roles) - set(User.STAFF_ROLES))
        if not roles or unknown:
            raise ValueError(
                f"StaffRole.of() takes staff roles from {', '.join(User.STAFF_ROLES)}; "
                f"got {', '.join(unknown) or 'none'}."
            )
        ordered = tuple(role for role in User.STAFF_ROLES if role in roles)
        names = " and ".join(ordered) if len(ordered) < 3 else ", ".join(ordered)
        return type(
            f"StaffRole_{'_'.join(ordered)}",
            (cls,),
            {
                "roles": frozenset(ordered),
                "message": f"Only {names} staff may do this.",
                "__doc__": f"Allows only users whose role is {' or '.join(ordered)}.",
            },
        )

    def has_permission(self, request, view) -> bool:
        return has_staff_role(request.user, self.roles)


# Every staff role: admin, auditor and support.
AnyStaff = StaffRole.of(*User.STAFF_ROLES)
