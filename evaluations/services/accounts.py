"""Writes about user accounts beyond django.contrib.auth's own."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from ..models import PasswordRecord


def password_changed_record(*, user, at: datetime | None = None) -> None:
    """Remember when the user's password was set (any path: the change page, the admin,
    createsuperuser, create_user)."""
    PasswordRecord.objects.update_or_create(
        user=user, defaults={"changed_at": at or timezone.now()}
    )
