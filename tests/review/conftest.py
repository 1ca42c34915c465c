"""Fixtures for the review-side tests: the demo users (with e-mail addresses), the seed
evaluation made submittable or submitted through the services, a second region with its own
reviewer, filer, department and evaluation, and logged-in clients."""

from __future__ import annotations

import copy

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.test import Client

from evaluations import services
from evaluations.models import Evaluation

from .helpers import BLANK_DEPARTMENT, SEED_DEPARTMENT, make_submittable

DEMO_USERNAMES = ("filer", "filer2", "reviewer", "admin")

_safe_load = yaml.safe_load
_parsed: dict[str, object] = {}


def _memo_safe_load(stream):
    """yaml.safe_load, parsing each text once per session (a deep copy each time): the seed
    and the rubric are pure-Python YAML of ~0.3 s per test otherwise."""
    if not isinstance(stream, str):
        return _safe_load(stream)
    if stream not in _parsed:
        _parsed[stream] = _safe_load(stream)
    return copy.deepcopy(_parsed[stream])


@pytest.fixture
def seeded(db, monkeypatch):
    """As tests/conftest.py's `seeded` (evaluations.demo.seed_demo), parsing the YAML once."""
    from evaluations.demo import seed_demo

    monkeypatch.setattr(yaml, "safe_load", _memo_safe_load)
    seed_demo()


@pytest.fixture
def users(seeded):
    """The demo users by name, each with an e-mail address (for the notification tests)."""
    User = get_user_model()
    found = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES)}
    assert set(found) == set(DEMO_USERNAMES)
    for name, user in found.items():
        user.email = f"{name}@example.cn"
        user.save(update_fields=["email"])
    return found


@pytest.fixture
def seed_eval(seeded) -> Evaluation:
    """filer's 2022 evaluation of 南沙区政协办公室 (draft, not yet submittable)."""
    return Evaluation.objects.get(department__code=SEED_DEPARTMENT, fiscal_year__year=2022)


@pytest.fixture
def blank_eval(seeded) -> Evaluation:
    """filer2's empty 2022 evaluation of 示例局."""
    return Evaluation.objects.get(department__code=BLANK_DEPARTMENT, fiscal_year__year=2022)


@pytest.fixture
def submittable(seed_eval, users) -> Evaluation:
    """The seed evaluation with a reason for every claimed score that differs from the
    computed one: it has no blocking problem left (still a draft)."""
    return make_submittable(seed_eval, users["filer"])


@pytest.fixture
def submitted(submittable, users) -> Evaluation:
    """The seed evaluation, submitted by filer through the service."""
    services.evaluation_submit(submittable.pk, users["filer"], submittable.version)
    submittable.refresh_from_db()
    assert submittable.status == "submitted"
    return submittable


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def filer_client(users) -> Client:
    return client_for(users["filer"])


@pytest.fixture
def filer2_client(users) -> Client:
    return client_for(users["filer2"])


@pytest.fixture
def reviewer_client(users) -> Client:
    return client_for(users["reviewer"])
