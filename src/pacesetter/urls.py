from django.contrib import admin
from django.urls import include, path

from pacesetter.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("pacesetter.accounts.urls")),
    path("", include("pacesetter.units.urls")),
    path("", include("pacesetter.audit.urls")),
    path("", include("pacesetter.ledger.urls")),
    path("", include("pacesetter.movements.urls")),
    path("", include("pacesetter.figures.urls")),
    path("", include("pacesetter.emulation.urls")),
    path("", include("pacesetter.titles.urls")),
    path("", include("pacesetter.drives.urls")),
]

handler400 = "pacesetter.figures.views.error_400"
handler403 = "pacesetter.figures.views.error_403"
handler404 = "pacesetter.figures.views.error_404"
handler500 = "pacesetter.figures.views.error_500"
