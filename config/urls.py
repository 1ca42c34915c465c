from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from evaluations import session
from evaluations.urls import public_patterns, review_patterns
from evaluations.views import account
from evaluations.views.ops import healthz

admin.site.site_header = "绩效自评 管理后台"
admin.site.site_title = "绩效自评"
admin.site.index_title = "管理"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", account.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        account.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/session/", session.session_status, name="session_status"),
    path("accounts/session/extend/", session.session_extend, name="session_extend"),
    path("admin/", admin.site.urls),
    path("review/", include(review_patterns, namespace="review")),
    path("public/", include(public_patterns, namespace="public")),
    path("", include("evaluations.urls")),
]
