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

# Tasks run at once in the caller (a test runs what it enqueued, after commit, with
# django_capture_on_commit_callbacks); the db_worker test sets TASKS_BACKEND=database.
if TASKS_BACKEND != "database":  # noqa: F405
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
PDF_RENDER_DEBOUNCE_SECONDS = 0
PDF_RENDER_ON_SAVE = False  # the tests of render-on-save switch it on
