from django.contrib import admin
from django.urls import path

admin.site.site_header = "绩效自评 管理后台"
admin.site.site_title = "绩效自评"
admin.site.index_title = "管理"

urlpatterns = [
    path("admin/", admin.site.urls),
]
