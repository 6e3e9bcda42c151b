from django.contrib import admin
from django.urls import include, path

from pacesetter.core.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("pacesetter.figures.urls")),
]

handler404 = "pacesetter.figures.views.error_404"
handler500 = "pacesetter.figures.views.error_500"
