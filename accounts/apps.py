from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Customers and bank accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from accounts.roles import sync_role_groups_after_migrate

        # Models added by later migrations get their permissions after migrate; keep the
        # role groups in step with them so "auditor sees everything" stays true.
        post_migrate.connect(
            sync_role_groups_after_migrate, dispatch_uid="accounts.sync_role_groups"
        )
