"""Every URL pattern the project exposes, tried by six roles.

EXPECTED holds one decision per named URL pattern (admin site and static files excepted); a
view added later without a decision here fails `test_every_url_pattern_has_a_decision`.

States: the whole matrix (GET and POST) runs twice, with the seed evaluation as a submittable
draft and after the filer has submitted it, because the POST actions (submit, withdraw,
approve, 复核分, evidence upload and delete) depend on the state. Publishing (needs an approved
evaluation) and reopening (published) are refused in both states and are exercised by the
review tests. Each request runs in a savepoint that is rolled back, so every cell starts
from the same data; inside it the evaluation's fingerprint is compared before and after:
only the cells in MUTATES may change data (and they must, so the minimal body is a real
request that would succeed for the right role, not one refused for being empty).

The draft PDF's renderer is replaced by a stub (WeasyPrint takes ~2 s a page; the access
check comes before it and the PDF itself is tested in tests/reports).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLResolver, get_resolver, reverse

from evaluations import access, services
from evaluations.access import Action
from evaluations.models import Evaluation

from .helpers import STEPS, client_for, fingerprint, pdf_bytes

ROLES = ("anonymous", "filer", "other_filer", "reviewer", "other_reviewer", "admin")


def row(anonymous, filer, other_filer, reviewer, other_reviewer, admin) -> dict[str, int]:
    return dict(
        zip(ROLES, (anonymous, filer, other_filer, reviewer, other_reviewer, admin), strict=True)
    )


@dataclass(frozen=True)
class Decision:
    """method: how the view is meant to be used (POST for POST-only views, which must answer
    GET with 405 — 302 to the login page for anonymous users, as login_required comes first).
    post: for views that take GET and POST, the status of a POST with a minimal body."""

    method: str
    status: dict[str, int]
    post: dict[str, int] | None = None
    anonymous_get: int = 302


ALL_200 = row(200, 200, 200, 200, 200, 200)
# Pages of one evaluation for whoever may see it: its filers, its region's reviewers, admins.
OBJECT_PAGE = row(302, 200, 404, 200, 404, 200)
# POST actions on one evaluation: a redirect with a page message for whoever sees it (refused
# actions, e.g. a reviewer submitting, are messages too), 404 for everyone else.
OBJECT_ACTION = row(302, 302, 404, 302, 404, 302)
# The finance bureau's pages: the region's reviewers and admins only.
REVIEW_PAGE = row(302, 404, 404, 200, 404, 200)
REVIEW_ACTION = row(302, 404, 404, 302, 404, 302)

EXPECTED: dict[str, Decision] = {
    "login": Decision("GET", ALL_200),
    "logout": Decision("POST", row(302, 302, 302, 302, 302, 302), anonymous_get=405),
    # Every user's own password; a POST without a body is the form again with its errors.
    "password_change": Decision(
        "GET", row(302, 200, 200, 200, 200, 200), post=row(302, 200, 200, 200, 200, 200)
    ),
    "password_change_done": Decision("GET", row(302, 200, 200, 200, 200, 200)),
    # The page's session clock (JSON): whether logged in and for how long; 「继续工作」 extends
    # (401 without a session: the page then asks to log in again).
    "session_status": Decision("GET", ALL_200),
    "session_extend": Decision("POST", row(401, 200, 200, 200, 200, 200), anonymous_get=405),
    "public:list": Decision("GET", ALL_200),
    "public:download": Decision("GET", ALL_200),
    # the stable address of a department's published report: a redirect to the file, for all
    "public:department": Decision("GET", row(302, 302, 302, 302, 302, 302)),
    "filing:home": Decision("GET", row(302, 200, 200, 302, 302, 302)),
    # 新建项目支出自评: no year of the user's departments has a project rubric here, so a
    # redirect home with a message for everyone (tests/evaluations/test_projects.py has the rest).
    "filing:project_create": Decision("POST", row(302, 302, 302, 302, 302, 302)),
    "filing:start": Decision("GET", row(302, 302, 404, 302, 404, 302)),
    "filing:step": Decision("GET", OBJECT_PAGE, post=OBJECT_ACTION),
    "filing:history": Decision("GET", OBJECT_PAGE),
    # The draft PDF: rendered by the worker; until it is stored, a progress page (202).
    "filing:draft_pdf": Decision("GET", row(302, 202, 404, 202, 404, 202)),
    "filing:draft_pdf_status": Decision("GET", OBJECT_PAGE),
    "filing:draft_pdf_retry": Decision("POST", OBJECT_ACTION),
    # the data template (.xlsx): GET for whoever sees the evaluation, POST (an upload) for its
    # filer while editable; the matrix's POST has no file, so it changes nothing
    "filing:data_template": Decision("GET", OBJECT_PAGE, post=OBJECT_ACTION),
    "filing:evidence_download": Decision("GET", OBJECT_PAGE),
    "filing:figures_preview": Decision("POST", OBJECT_PAGE),
    "filing:submit": Decision("POST", OBJECT_ACTION),
    "filing:withdraw": Decision("POST", OBJECT_ACTION),
    "filing:evidence_upload": Decision("POST", OBJECT_ACTION),
    "filing:evidence_delete": Decision("POST", OBJECT_ACTION),
    "filing:evidence_attach": Decision("POST", OBJECT_ACTION),
    # 从上一年度复制: the fixture's evaluation has no previous year, so a message only
    "filing:copy_previous": Decision("POST", OBJECT_ACTION),
    # 绩效目标申报: seen by whoever sees the evaluation; an empty POST is the form again with
    # its errors for the filer (who may edit it), a message and back for everyone else.
    "filing:targets": Decision("GET", OBJECT_PAGE, post=row(302, 200, 404, 302, 404, 302)),
    "filing:evidence_detach": Decision("POST", OBJECT_ACTION),
    "filing:annotation_reply": Decision("POST", OBJECT_ACTION),
    "filing:annotation_resolve": Decision("POST", OBJECT_ACTION),
    "review:home": Decision("GET", row(302, 404, 404, 302, 302, 302)),
    "review:dashboard": Decision("GET", REVIEW_PAGE),
    # POST without a file: the import page again with its error, status 400.
    "review:import": Decision("GET", REVIEW_PAGE, post=row(302, 404, 404, 400, 404, 400)),
    "review:evaluation": Decision("GET", REVIEW_PAGE),
    "review:reviewed": Decision("POST", REVIEW_ACTION),
    "review:annotate": Decision("POST", REVIEW_ACTION),
    "review:notified": Decision("POST", REVIEW_ACTION),
    "review:publish": Decision("POST", REVIEW_ACTION),
    "review:publish_status": Decision("GET", REVIEW_PAGE),
    "review:transition": Decision("POST", REVIEW_ACTION),
    # 批复 / 退回 the declaration: the region's reviewers (a refusal is a message and back)
    "review:declaration": Decision("POST", REVIEW_ACTION),
    # Bulk jobs belong to a region's fiscal year: its reviewers and admins.
    "review:job_start": Decision("POST", REVIEW_ACTION),
    "review:job": Decision("GET", REVIEW_PAGE),
    "review:job_status": Decision("GET", REVIEW_PAGE),
    "review:job_result": Decision("GET", REVIEW_PAGE),
    "review:job_cancel": Decision("POST", REVIEW_ACTION),
    "review:job_restart": Decision("POST", REVIEW_ACTION),
    # the list of the jobs of the regions one reviews: any reviewer (their own regions' jobs)
    "review:jobs": Decision("GET", row(302, 404, 404, 200, 200, 200)),
    # 批量操作 on the dashboard's selection (the matrix's POST selects nothing: a message and
    # back to the dashboard, no change); 统计分析 of the region's year.
    "review:bulk": Decision("POST", REVIEW_ACTION),
    "review:statistics": Decision("GET", REVIEW_PAGE),
    # The yearly round: opening it (POST without a body: the form again with its errors),
    # 催办 (POST without a selection: a message), 延期 (the form again with its errors).
    "review:round_open": Decision("GET", REVIEW_PAGE, post=row(302, 404, 404, 200, 404, 200)),
    "review:remind": Decision("POST", REVIEW_ACTION),
    "review:extend": Decision("GET", REVIEW_PAGE, post=row(302, 404, 404, 200, 404, 200)),
    # For load balancers: up or down, nothing else, no login.
    "healthz": Decision("GET", ALL_200),
}

# Pages without login that redirect (not to the login page) for everyone.
PUBLIC_REDIRECTS = {"public:department"}

# The (url name, role) cells whose POST changes the seed evaluation, by state. Every other
# request (all GETs included) must leave it exactly as it was.
BOTH = {
    ("review:annotate", "reviewer"),
    ("review:notified", "reviewer"),
    ("filing:annotation_reply", "filer"),
    ("filing:annotation_reply", "reviewer"),
    ("filing:annotation_resolve", "filer"),
    ("filing:annotation_resolve", "reviewer"),
    ("review:job_start", "reviewer"),
    # A superuser counts as a reviewer of every region for bulk jobs (selectors.reviewer_regions).
    ("review:job_start", "admin"),
}
MUTATES = {
    "draft": BOTH
    | {
        ("filing:step", "filer"),
        ("filing:submit", "filer"),
        ("filing:evidence_upload", "filer"),
        ("filing:evidence_delete", "filer"),
        ("filing:evidence_attach", "filer"),
        ("filing:evidence_detach", "filer"),
    },
    "submitted": BOTH
    | {
        ("filing:withdraw", "filer"),
        ("review:reviewed", "reviewer"),
        ("review:transition", "reviewer"),
    },
}

# The action of the access policy (evaluations.access) behind each POST that changes an
# evaluation: the cells that may change data are read from the policy, and checked against
# the hand-written MUTATES above (two entries that must agree).
POLICY_ACTIONS = {
    "filing:step": Action.EDIT,
    "filing:submit": Action.SUBMIT,
    "filing:withdraw": Action.WITHDRAW,
    "filing:evidence_upload": Action.EDIT,
    "filing:evidence_delete": Action.EDIT,
    "filing:evidence_attach": Action.EDIT,
    "filing:evidence_detach": Action.EDIT,
    "filing:annotation_reply": Action.REPLY,
    "filing:annotation_resolve": Action.REPLY,
    "review:reviewed": Action.SET_REVIEWED,
    "review:annotate": Action.ANNOTATE,
    "review:notified": Action.NOTIFY,
    "review:publish": Action.PUBLISH,
    "review:transition": "approve",  # ACTION below
}


def mutates_by_policy(world) -> set[tuple[str, str]]:
    evaluation = Evaluation.objects.get(pk=world.evaluation.pk)
    cells = set()
    for role, user in world.roles.items():
        if user is None:
            continue
        policy = access.access_for(user, evaluation)
        cells |= {(name, role) for name, action in POLICY_ACTIONS.items() if policy.can(action)}
        if access.job_kinds_for(user, evaluation.fiscal_year):
            cells.add(("review:job_start", role))
    return cells


# The URL parameters, filled from the fixture's objects.
ACTION = "approve"
JOB_KIND = "export_scores"
REGION, YEAR = "nansha", 2022


def post_body(name: str, w) -> dict:
    """A minimal body that would succeed for the right role in the right state."""
    version = str(w.evaluation.version)
    return {
        "filing:step": {"version": version},  # the 基本情况 step, everything blank
        "filing:submit": {"version": version},
        "filing:evidence_upload": {
            "indicator": "1.1.3",
            "files": [SimpleUploadedFile("矩阵.pdf", pdf_bytes("matrix"), "application/pdf")],
        },
        # the fixture's file is attached to 1.1.2: attach it to 1.1.3 too, or detach it
        "filing:evidence_attach": {"indicator": "1.1.3", "evidence-1.1.3": str(w.evidence.pk)},
        "filing:evidence_detach": {"indicator": "1.1.2"},
        "filing:annotation_reply": {"text": "已补充说明。"},
        "filing:annotation_resolve": {"resolved": "1"},
        "review:reviewed": {"code": "1.1.1", "score": "0", "reason": "依据不足。"},
        "review:annotate": {"target": "general", "label": "总体", "text": "矩阵测试批注"},
        "review:notified": {"rate": "12.34"},
        "review:transition": {"comment": "同意。"},
    }.get(name, {})


def url_patterns() -> dict[str, set[str]]:
    """Every named pattern (namespaced) with the names of its URL parameters; the admin site
    and static file serving are left out. An unnamed pattern appears under its route, so that
    it cannot slip past the table either."""
    found: dict[str, set[str]] = {}

    def walk(patterns, namespace: str, params: set[str], prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                if p.app_name == "admin":
                    continue
                inner = ":".join(filter(None, [namespace, p.namespace]))
                walk(p.url_patterns, inner, params | set(p.pattern.converters), route)
                continue
            if p.callback.__module__ in ("django.views.static", "django.contrib.staticfiles.views"):
                continue
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            found[name or f"<unnamed {route}>"] = params | set(p.pattern.converters)

    walk(get_resolver().url_patterns, "", set(), "")
    return found


def urls_for(name: str, params: set[str], w) -> list[str]:
    if name == "public:download":
        pk = w.report.pk
    elif name.startswith("review:job"):
        pk = w.job.pk
    else:
        pk = w.evaluation.pk
    values = {
        "pk": pk,
        "kind": JOB_KIND,
        "region_code": REGION,
        "year": YEAR,
        "evidence_id": w.evidence.pk,
        "annotation_id": w.annotation.pk,
        "action": ACTION,
        "department_code": w.evaluation.department.code,
    }
    assert params <= {*values, "step"}, f"{name}: no value for {params - {*values, 'step'}}"
    kwargs = {k: values[k] for k in params if k != "step"}
    if "step" in params:
        return [reverse(name, kwargs={**kwargs, "step": step}) for step in STEPS]
    return [reverse(name, kwargs=kwargs)]


# ---------------------------------------------------------------------------- the tests


def test_every_url_pattern_has_a_decision():
    assert set(url_patterns()) == set(EXPECTED)
    for name, decision in EXPECTED.items():
        assert set(decision.status) == set(ROLES), name
        assert decision.method in ("GET", "POST"), name


@pytest.fixture
def stub_pdf(monkeypatch):
    monkeypatch.setattr(
        "evaluations.reports.render_pdf", lambda evaluation, draft: b"%PDF-1.4 stub"
    )


@pytest.fixture(params=["draft", "submitted"])
def state(request, world, stub_pdf):
    if request.param == "submitted":
        e = world.evaluation
        services.evaluation_submit(e.pk, world.users["filer"], e.version)
        e.refresh_from_db()
        assert e.status == "submitted"
    return request.param


def _request(role, user, method, url, body):
    client = client_for(user)
    client.raise_request_exception = False
    response = client.get(url) if method == "GET" else client.post(url, body)
    if response.streaming:
        # consumed through the test client's wrapper, which closes the response without
        # firing close_old_connections (response.close() would drop PostgreSQL's connection)
        b"".join(response.streaming_content)
    return response


@dataclass
class Matrix:
    world: object
    state: str
    problems: list[str] = field(default_factory=list)
    cells: int = 0

    def check(self, name, role, method, url, expected, *, may_change=False, body=None):
        """One request in a savepoint that is rolled back afterwards."""
        w = self.world
        self.cells += 1
        with transaction.atomic():
            before = fingerprint(w.evaluation.pk)
            response = _request(role, w.roles[role], method, url, body or {})
            after = fingerprint(w.evaluation.pk)
            transaction.set_rollback(True)
        where = f"[{self.state}] {method} {url} ({name}) as {role}"
        status = response.status_code
        if status != expected:
            self.problems.append(f"{where}: status {status}, expected {expected}")
        if status == 302:
            login = response.url.startswith(reverse("login"))
            if (role == "anonymous" or name == "logout") != login and name not in PUBLIC_REDIRECTS:
                self.problems.append(f"{where}: redirected to {response.url}")
        if may_change and before == after:
            self.problems.append(f"{where}: the allowed action changed nothing")
        if not may_change and before != after:
            changed = sorted(k for k in before if before[k] != after[k])
            self.problems.append(f"{where}: changed {changed}")


def test_access_matrix(world, state):
    matrix = Matrix(world, state)
    mutates = mutates_by_policy(world)
    assert mutates == MUTATES[state]
    for name, params in sorted(url_patterns().items()):
        decision = EXPECTED[name]
        for url in urls_for(name, params, world):
            for role in ROLES:
                if decision.method == "GET":
                    matrix.check(name, role, "GET", url, decision.status[role])
                else:
                    get_status = decision.anonymous_get if role == "anonymous" else 405
                    matrix.check(name, role, "GET", url, get_status)
                    matrix.check(
                        name,
                        role,
                        "POST",
                        url,
                        decision.status[role],
                        may_change=(name, role) in mutates,
                        body=post_body(name, world),
                    )
            # Views taking GET and POST; of the steps, the POST matrix uses 基本情况.
            if decision.post is not None and (
                name != "filing:step" or url.endswith("/step/basic/")
            ):
                for role in ROLES:
                    matrix.check(
                        name,
                        role,
                        "POST",
                        url,
                        decision.post[role],
                        may_change=(name, role) in mutates,
                        body=post_body(name, world),
                    )
    assert matrix.cells > 250
    assert not matrix.problems, "\n".join(matrix.problems)


def test_get_only_views_refuse_post(world, stub_pdf):
    """The downloads and the public list answer POST with 405 (as the filer, who may GET)."""
    e = world.evaluation
    urls = [
        reverse("public:list"),
        reverse("public:download", args=[world.report.pk]),
        reverse("filing:evidence_download", args=[e.pk, world.evidence.pk]),
        reverse("filing:draft_pdf", args=[e.pk]),
    ]
    client = client_for(world.roles["filer"])
    assert [client.post(url).status_code for url in urls] == [405] * len(urls)


def test_other_region_objects_are_404_for_this_region(world, stub_pdf):
    """The other direction: nansha's filer and reviewer get 404 on panyu's evaluation, and
    panyu's reviewer sees it."""
    other = world.other.evaluation
    pages = [
        reverse("filing:step", args=[other.pk, "basic"]),
        reverse("filing:history", args=[other.pk]),
        reverse("review:evaluation", args=[other.pk]),
        reverse("review:dashboard", args=["panyu", 2022]),
    ]
    for role in ("filer", "other_filer", "reviewer"):
        client = client_for(world.roles[role])
        assert [client.get(u).status_code for u in pages] == [404] * 4, role
    client = client_for(world.other.reviewer)
    assert [client.get(u).status_code for u in pages] == [200] * 4
