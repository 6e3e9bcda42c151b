import datetime as dt
from contextlib import contextmanager

import pytest
from django.db import transaction
from django.test import override_settings

from tests import factories

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests make many users; a deliberately slow hash would make them slow too."""
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True, scope="session")
def _test_storages():
    """Plain static files (the manifest storage needs `collectstatic`; tests render pages
    without it), and dossier documents in memory, not under var/. Session-wide, once: the
    permission matrix builds its world, with a document, before any function-scoped setting
    applies, and changing STORAGES would start an empty memory store."""
    from django.conf import settings

    with override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            "attachments": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        }
    ):
        yield


@pytest.fixture(autouse=True, scope="session")
def _tasks_run_inline():
    """Background tasks run where they are enqueued (django-tasks' immediate backend), as
    TASKS_BACKEND can ask; a test of the database queue overrides TASKS itself."""
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    ):
        yield


@pytest.fixture
def units(db):
    """KP ─┬─ P1 ─┬─ C1 ─┬─ W1
    │      │      └─ W2
    │      └─ C2 ─── W3
    └─ P2 ─── C3 ─── W4"""
    return factories.tree(
        {"KP": {"P1": {"C1": {"W1": {}, "W2": {}}, "C2": {"W3": {}}}, "P2": {"C3": {"W4": {}}}}}
    )


@pytest.fixture
def movement(units):
    return factories.movement(
        units["KP"],
        indicators=(
            {"code": "steel", "name": "Steel", "unit_of_measure": "t", "decimal_places": 1},
            {"code": "stock", "name": "Stock", "unit_of_measure": "t", "aggregation": "latest"},
            {"code": "losses", "name": "Losses", "unit_of_measure": "t", "direction": "less"},
            {
                "code": "balance",
                "name": "Balance",
                "unit_of_measure": "money",
                "currency": "KPW",
                "allow_negative": True,
                "decimal_places": 2,
            },
        ),
        monthly=True,
    )


@pytest.fixture
def user(db):
    """An operator (superuser): every right, so feature tests test features. What each role
    may do is tested apart, in tests/accounts (the permission matrix)."""
    return factories.UserFactory(username="operator", is_superuser=True, is_staff=True)


DAY = dt.date(2025, 3, 10)


@contextmanager
def rolled_back(django_db_blocker):
    """A world built once for many tests (a module's, a package's), inside a transaction
    rolled back at the end; each test runs in a savepoint within it (pytest-django's `db`)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def hand_made_flags_only(movement):
    """For tests that flag reports by hand: the ingest's own plausibility flags are off (every
    report of the fixtures' 2025 entered today would be late, among others)."""
    from pacesetter.ledger import flags

    flags.set_flag_rules(
        movement=movement, rules={kind: {"enabled": False} for kind in flags.rules_domain.KINDS}
    )
