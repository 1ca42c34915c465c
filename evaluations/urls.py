from django.urls import path

from .views import carry_over, evidence, filing, public, review, rounds, targets
from .views import transfer as data_transfer

app_name = "filing"

review_patterns = (
    [
        path("", review.review_home, name="home"),
        path("evaluations/<int:pk>/", review.evaluation_review, name="evaluation"),
        path("evaluations/<int:pk>/reviewed/", review.set_reviewed, name="reviewed"),
        path("evaluations/<int:pk>/annotate/", review.annotate, name="annotate"),
        path("evaluations/<int:pk>/notified/", review.notified, name="notified"),
        path("evaluations/<int:pk>/publish/", review.publish, name="publish"),
        path("evaluations/<int:pk>/publish/status/", review.publish_status, name="publish_status"),
        path(
            "evaluations/<int:pk>/targets/<slug:action>/",
            targets.review_declaration,
            name="declaration",
        ),
        path("evaluations/<int:pk>/extend/", rounds.extension_page, name="extend"),
        path("evaluations/<int:pk>/<slug:action>/", review.transition, name="transition"),
        path("jobs/", review.job_list, name="jobs"),
        path("jobs/<int:pk>/", review.job_page, name="job"),
        path("jobs/<int:pk>/cancel/", review.job_cancel, name="job_cancel"),
        path("jobs/<int:pk>/restart/", review.job_restart, name="job_restart"),
        path("jobs/<int:pk>/status/", review.job_status, name="job_status"),
        path("jobs/<int:pk>/result/", review.job_result, name="job_result"),
        # after the evaluations/ and jobs/ patterns: a region code could otherwise read "evaluations"
        path("<slug:region_code>/<int:year>/", review.dashboard, name="dashboard"),
        path("<slug:region_code>/<int:year>/import/", review.notified_import, name="import"),
        path("<slug:region_code>/<int:year>/bulk/", review.bulk, name="bulk"),
        path(
            "<slug:region_code>/<int:year>/statistics/",
            review.statistics_page,
            name="statistics",
        ),
        path("<slug:region_code>/<int:year>/remind/", rounds.remind, name="remind"),
        path("<slug:region_code>/rounds/open/", rounds.round_open_page, name="round_open"),
        path("<slug:region_code>/<int:year>/jobs/<slug:kind>/", review.job_start, name="job_start"),
    ],
    "review",
)

public_patterns = (
    [
        path("", public.published_list, name="list"),
        path("reports/<int:pk>/", public.published_download, name="download"),
        path(
            "<slug:region_code>/<int:year>/<slug:department_code>/",
            public.department_report,
            name="department",
        ),
    ],
    "public",
)

urlpatterns = [
    path("", filing.home, name="home"),
    path("evaluations/new-project/", filing.project_create, name="project_create"),
    path("evaluations/<int:pk>/", filing.evaluation_start, name="start"),
    path("evaluations/<int:pk>/step/<slug:step>/", filing.step_view, name="step"),
    path(
        "evaluations/<int:pk>/copy-previous/<slug:step>/",
        carry_over.copy_previous,
        name="copy_previous",
    ),
    path("evaluations/<int:pk>/targets/", targets.targets, name="targets"),
    path("evaluations/<int:pk>/submit/", filing.submit, name="submit"),
    path("evaluations/<int:pk>/withdraw/", filing.withdraw, name="withdraw"),
    path("evaluations/<int:pk>/figures/preview/", filing.figures_preview, name="figures_preview"),
    path("evaluations/<int:pk>/history/", review.history, name="history"),
    path("evaluations/<int:pk>/pdf/", public.draft_pdf, name="draft_pdf"),
    path("evaluations/<int:pk>/pdf/status/", public.draft_pdf_status, name="draft_pdf_status"),
    path("evaluations/<int:pk>/pdf/retry/", public.draft_pdf_retry, name="draft_pdf_retry"),
    path("evaluations/<int:pk>/data.xlsx", data_transfer.data_template, name="data_template"),
    path("evaluations/<int:pk>/evidence/", evidence.upload, name="evidence_upload"),
    path(
        "evaluations/<int:pk>/evidence/<int:evidence_id>/",
        evidence.download,
        name="evidence_download",
    ),
    path("evaluations/<int:pk>/evidence/attach/", evidence.attach, name="evidence_attach"),
    path(
        "evaluations/<int:pk>/evidence/<int:evidence_id>/detach/",
        evidence.detach,
        name="evidence_detach",
    ),
    path(
        "evaluations/<int:pk>/evidence/<int:evidence_id>/delete/",
        evidence.delete,
        name="evidence_delete",
    ),
    path(
        "evaluations/<int:pk>/annotations/<int:annotation_id>/reply/",
        filing.annotation_reply,
        name="annotation_reply",
    ),
    path(
        "evaluations/<int:pk>/annotations/<int:annotation_id>/resolve/",
        filing.annotation_resolve,
        name="annotation_resolve",
    ),
]
