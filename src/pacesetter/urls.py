from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from pacesetter.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # Before Django's own: the admin app's templates for these two would win otherwise.
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(template_name="accounts/password_change.html"),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password_change_done",
    ),
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
    path("", include("pacesetter.experience.urls")),
    path("", include("pacesetter.reserves.urls")),
    path("", include("pacesetter.visits.urls")),
    path("", include("pacesetter.voices.urls")),
]

handler400 = "pacesetter.figures.views.error_400"
handler403 = "pacesetter.figures.views.error_403"
handler404 = "pacesetter.figures.views.error_404"
handler500 = "pacesetter.figures.views.error_500"
