from typing import Any

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "backend.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from backend.accounts.models import DeviceToken, User
        from backend.accounts.token_cache import auth_state_changed

        harmless = {User: {"last_login"}, DeviceToken: {"last_used_at"}}

        def saved(sender: Any, created: bool, update_fields: Any = None, **kwargs: Any) -> None:
            # A new row has no token remembered anywhere; a use recorded or a sign-in time changes
            # nothing a token check reads. Anything else (a password, is_active, role, clinic,
            # revoked_at, an admin's edit) makes every process read the rows again.
            if created or (update_fields and set(update_fields) <= harmless[sender]):
                return
            auth_state_changed()

        def deleted(sender: Any, **kwargs: Any) -> None:
            auth_state_changed()

        for model in (User, DeviceToken):
            post_save.connect(saved, sender=model, weak=False, dispatch_uid=f"token-cache-save-{model.__name__}")
            post_delete.connect(deleted, sender=model, weak=False, dispatch_uid=f"token-cache-delete-{model.__name__}")
