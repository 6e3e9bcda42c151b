"""Our own deployment checks, run by `pacesetter check-deploy` beside Django's (`check
--deploy`): the things Django cannot know we rely on."""

from __future__ import annotations

import stat
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

UNSAFE_SOURCES = {"'unsafe-inline'", "'unsafe-eval'", "*"}


@register(Tags.security, deploy=True)
def pacesetter_deploy_checks(app_configs: Any = None, **kwargs: Any) -> list:
    problems: list = []
    directives = settings.CONTENT_SECURITY_POLICY.get("DIRECTIVES", {})
    for name in ("script-src", "style-src", "default-src"):
        unsafe = UNSAFE_SOURCES & set(directives.get(name, []))
        if unsafe:
            problems.append(
                Error(
                    f"The Content-Security-Policy allows {', '.join(sorted(unsafe))} in {name}.",
                    hint="Pages need no inline script or style; keep the policy strict.",
                    id="pacesetter.E001",
                )
            )
    if not {"csp.middleware.CSPMiddleware", "pacesetter.core.csp.CSPMiddleware"} & set(
        settings.MIDDLEWARE
    ):
        problems.append(Error("django-csp's middleware is not installed.", id="pacesetter.E002"))
    if "axes.middleware.AxesMiddleware" not in settings.MIDDLEWARE or not getattr(
        settings, "AXES_ENABLED", True
    ):
        problems.append(Error("Login throttling (django-axes) is off.", id="pacesetter.E003"))
    if "*" in settings.ALLOWED_HOSTS:
        problems.append(
            Error("ALLOWED_HOSTS contains '*'.", hint="List the host names.", id="pacesetter.E004")
        )
    if not getattr(settings, "SESSION_COOKIE_SECURE", False):
        problems.append(
            Warning(
                "Not served over HTTPS: cookies are not marked secure and HSTS is off.",
                hint="Serve behind TLS and set HTTPS=true.",
                id="pacesetter.W001",
            )
        )
    if settings.RATE_LIMIT_WRITES_PER_IP <= 0 or settings.RATE_LIMIT_WRITES_PER_TOKEN <= 0:
        problems.append(Warning("A write rate limit is turned off (0).", id="pacesetter.W002"))
    key_file = settings.VAR_DIR / "secret_key"
    if key_file.exists() and key_file.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        problems.append(
            Error(
                f"{key_file} is readable by others.",
                hint=f"chmod 600 {key_file}",
                id="pacesetter.E005",
            )
        )
    if "sqlite" in settings.DATABASES["default"]["ENGINE"]:
        problems.append(
            Warning(
                "The embedded SQLite database carries a county or a large enterprise; a "
                "province or a nation needs PostgreSQL (DATABASE_URL).",
                id="pacesetter.W003",
            )
        )
    return problems
