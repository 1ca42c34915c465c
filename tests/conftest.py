import pytest


@pytest.fixture
def seeded(db):
    """The demo data: rubric, the 南沙区政协 2022 case, an empty evaluation, demo users."""
    from evaluations.demo import seed_demo

    seed_demo()
