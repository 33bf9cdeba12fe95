"""Staff roles and the Django groups that carry their permissions.

admin: may change everything. auditor: may view everything and change nothing.
support: may view customers, their accounts and transactions, and what a customer asks
them about (budgets, bills, reward points, alerts and the messages sent, statements), and
change no money.
"""

from django.db.models import Q

ROLE_GROUPS = {"admin": "Admins", "auditor": "Auditors", "support": "Support"}
# Who may see the portfolio across every customer (the staff dashboard and its API).
PORTFOLIO_ROLES = ("admin", "auditor")


def sees_portfolio(user) -> bool:
    return getattr(user, "role", None) in PORTFOLIO_ROLES


SUPPORT_VIEWABLE_MODELS = (
    "user",
    "bankaccount",
    "transaction",
    "category",
    "exchangerate",
    "budget",
    "bill",
    "rewardprogramme",
    "pointsentry",
    "alert",
    "notification",
    # PDF statements' status, figures and errors ("my statement failed"); not the file.
    "export",
)


def role_permission_filter(role: str) -> Q:
    if role == "admin":
        return Q()
    if role == "auditor":
        return Q(codename__startswith="view_")
    if role == "support":
        return Q(codename__in=[f"view_{model}" for model in SUPPORT_VIEWABLE_MODELS])
    raise ValueError(f"{role!r} is not a staff role.")


def sync_role_groups(apps=None) -> None:
    """Create the role groups and give each exactly its role's permissions."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, group_name in ROLE_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.set(Permission.objects.filter(role_permission_filter(role)))


def sync_role_groups_after_migrate(sender, using="default", plan=None, **kwargs) -> None:
    if plan is not None and not plan:
        return
    # Permissions of each app are created by its own post_migrate, so re-sync after every
    # app; it is a handful of queries.
    sync_role_groups()
