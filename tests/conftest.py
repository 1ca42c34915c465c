from types import SimpleNamespace

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Demo users are created with a password; the default PBKDF2 makes every seed slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_page_cache():
    """Each test starts with an empty page cache: ids and stamps come round again when a test's
    transaction is rolled back (evaluations.pagecache keys on them)."""
    from django.core.cache import caches

    caches["pages"].clear()
    yield
    caches["pages"].clear()


@pytest.fixture
def seeded(db):
    """The demo data: rubric, the 南沙区政协 2022 case, an empty evaluation, demo users."""
    from evaluations.demo import seed_demo

    seed_demo()


@pytest.fixture
def other_region(seeded):
    """Shared by the review and security tests. A second region (番禺区) with its own reviewer, filer, department and 2022 evaluation."""
    from django.contrib.auth import get_user_model

    from evaluations.models import Department, Evaluation, FiscalYear, Region

    User = get_user_model()
    nansha = FiscalYear.objects.get(region__code="nansha", year=2022)
    region = Region.objects.create(code="panyu", name="广州市番禺区", finance_bureau="番禺区财政局")
    fiscal_year = FiscalYear.objects.create(
        region=region, year=2022, rubric=nansha.rubric, deadline=nansha.deadline
    )
    department = Department.objects.create(
        code="panyu-demo-office", name="广州市番禺区示例办公室", region=region
    )
    reviewer = User.objects.create_user("reviewer-panyu", "reviewer-panyu@example.cn", "x")
    filer = User.objects.create_user("filer-panyu", "filer-panyu@example.cn", "x")
    region.reviewers.add(reviewer)
    department.filers.add(filer)
    evaluation = Evaluation.objects.create(
        department=department, fiscal_year=fiscal_year, rubric=nansha.rubric
    )
    return SimpleNamespace(
        region=region,
        fiscal_year=fiscal_year,
        department=department,
        reviewer=reviewer,
        filer=filer,
        evaluation=evaluation,
    )
