"""Fixtures for the filing tests: the seeded evaluations and a logged-in client per demo user."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from evaluations.models import Evaluation

from .filing_helpers import BLANK_DEPARTMENT, SEED_DEPARTMENT


@pytest.fixture
def seed_eval(seeded):
    """filer's 2022 evaluation of 南沙区政协办公室, filled from the seed documents."""
    return Evaluation.objects.get(department__code=SEED_DEPARTMENT, fiscal_year__year=2022)


@pytest.fixture
def blank_eval(seeded):
    """filer2's empty 2022 evaluation of 示例局."""
    return Evaluation.objects.get(department__code=BLANK_DEPARTMENT, fiscal_year__year=2022)


@pytest.fixture
def users(seeded):
    User = get_user_model()
    return {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES)}


DEMO_USERNAMES = ("filer", "filer2", "reviewer", "admin")


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def filer_client(users):
    return _client_for(users["filer"])


@pytest.fixture
def filer2_client(users):
    return _client_for(users["filer2"])


@pytest.fixture
def reviewer_client(users):
    return _client_for(users["reviewer"])
