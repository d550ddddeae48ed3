"""Reads about accounts: the devices a person is signed in on."""

from __future__ import annotations

from django.db.models import F, QuerySet

from backend.accounts.models import DeviceToken, User


def sessions_of(user: User) -> QuerySet[DeviceToken]:
    """The devices `user` is signed in on (unrevoked tokens), most recently used first."""
    return DeviceToken.objects.filter(user=user, revoked_at__isnull=True).order_by(
        F("last_used_at").desc(nulls_last=True), "-created_at"
    )
