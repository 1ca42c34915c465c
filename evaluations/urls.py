from django.urls import path

from .views import evidence, filing, public, review, rounds
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
        path("evaluations/<int:pk>/extend/", rounds.extension_page, name="extend"),
        path("evaluations/<int:pk>/<slug:action>/", review.transition, name="transition"),
        path("jobs/<int:pk>/", review.job_page, name="job"),
        path("jobs/<int:pk>/status/", review.job_status, name="job_status"),
        path("jobs/<int:pk>/result/", review.job_result, name="job_result"),
        # after the evaluations/ and jobs/ patterns: a region code could otherwise read "evaluations"
        path("<slug:region_code>/<int:year>/", review.dashboard, name="dashboard"),
        path("<slug:region_code>/<int:year>/import/", review.notified_import, name="import"),
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
    path("evaluations/<int:pk>/submit/", filing.submit, name="submit"),
    path("evaluations/<int:pk>/withdraw/", filing.withdraw, name="withdraw"),
    path("evaluations/<int:pk>/figures/preview/", filing.figures_preview, name="figures_preview"),
    path("evaluations/<int:pk>/history/", review.history, name="history"),
    path("evaluations/<int:pk>/pdf/", public.draft_pdf, name="draft_pdf"),
    path("evaluations/<int:pk>/data.xlsx", data_transfer.data_template, name="data_template"),
    path("evaluations/<int:pk>/evidence/", evidence.upload, name="evidence_upload"),
    path(
        "evaluations/<int:pk>/evidence/<int:evidence_id>/",
        evidence.download,
        name="evidence_download",
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
