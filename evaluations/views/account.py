"""The user's own account: changing the password (every user, from the navbar's user menu)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from .. import audit, session


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form):
        response = super().form_valid(form)  # saves; keeps this session logged in
        session.password_change_done(self.request)
        audit.record("password_change", request=self.request, user=self.request.user)
        messages.success(self.request, "密码已修改。其他设备上的登录已失效，需用新密码重新登录。")
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"
