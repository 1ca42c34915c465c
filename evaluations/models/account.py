"""What the identity rules need to know about a user beyond django.contrib.auth's User."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PasswordRecord(models.Model):
    """When the user's password was last set (for PASSWORD_MAX_AGE_DAYS)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="password_record",
    )
    changed_at = models.DateTimeField("密码修改时间")

    class Meta:
        verbose_name = verbose_name_plural = "密码修改记录"

    def __str__(self) -> str:
        return f"{self.user} {self.changed_at:%Y-%m-%d %H:%M}"
