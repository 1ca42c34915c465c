import pytest


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Demo users are created with a password; the default PBKDF2 makes every seed slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seeded(db):
    """The demo data: rubric, the 南沙区政协 2022 case, an empty evaluation, demo users."""
    from evaluations.demo import seed_demo

    seed_demo()
