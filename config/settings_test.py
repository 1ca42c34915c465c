"""Settings for the test suite: the production settings with faster password hashing and
login throttling off (the tests of throttling switch it on for themselves)."""

from django.conf import global_settings

from config.settings import *  # noqa: F403

AXES_ENABLED = False
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    *global_settings.PASSWORD_HASHERS,
]
