from django.urls import path

from .views import filing

app_name = "filing"

urlpatterns = [
    path("", filing.home, name="home"),
    path("evaluations/<int:pk>/", filing.evaluation_start, name="start"),
    path("evaluations/<int:pk>/step/<slug:step>/", filing.step_view, name="step"),
    path("evaluations/<int:pk>/submit/", filing.submit, name="submit"),
    path("evaluations/<int:pk>/withdraw/", filing.withdraw, name="withdraw"),
    path("evaluations/<int:pk>/figures/preview/", filing.figures_preview, name="figures_preview"),
]
