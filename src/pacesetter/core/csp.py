"""django-csp's middleware, with the site's policy built once a process.

django-csp builds the Content-Security-Policy header from settings on every response (two
policies, each through `dataclasses.asdict`): 3% of a one-report API call. This site's
policy has no nonce and no view changes it, so it is the same string every time. A response
that carries its own policy (`csp_update`, `csp_replace`, …), a request that used a nonce,
and DEBUG (whose error pages go without the header) take django-csp's own way.
"""

from __future__ import annotations

import functools
from typing import Any

from csp import middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


@functools.cache
def site_policies() -> tuple[tuple[str, str, str, tuple[str, ...]], ...]:
    """(header, policy, exemption attribute, excluded path prefixes), enforced and report-only."""
    found = []
    for header, report_only, exempt, setting in (
        (HEADER, False, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
        (HEADER_REPORT_ONLY, True, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
    ):
        policy = build_policy(report_only=report_only)
        if policy:
            prefixes = tuple(
                (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            )
            found.append((header, policy, exempt, prefixes))
    return tuple(found)


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        site_policies.cache_clear()


class CSPMiddleware(middleware.CSPMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            settings.DEBUG
            or getattr(request, "_csp_nonce", None) is not None
            or any(getattr(response, name, None) is not None for name in _PER_RESPONSE)
        ):
            return super().process_response(request, response)
        for header, policy, exempt, prefixes in site_policies():
            if (
                header not in response
                and getattr(response, exempt, False) is False
                and not request.path_info.startswith(prefixes)
            ):
                response[header] = policy
        # As django-csp does: a nonce asked for after the header was written is an error.
        request.csp_nonce = middleware.CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
