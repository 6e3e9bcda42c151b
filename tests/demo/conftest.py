"""The history demo, loaded once for the whole package (per test worker) and rolled back at
the end: each test runs in a savepoint within it (pytest-django's `db`). A demo load is the
slowest set-up of the suite; loading it once per test made the suite minutes longer."""

import pytest
from django.test import override_settings

from pacesetter.demo.movements import load_demo
from tests.conftest import FAST_HASHERS, rolled_back


@pytest.fixture(scope="package")
def _demo(django_db_setup, django_db_blocker, tmp_path_factory):
    var = tmp_path_factory.mktemp("demo-var")
    with (
        rolled_back(django_db_blocker),
        override_settings(VAR_DIR=var, PASSWORD_HASHERS=FAST_HASHERS),
    ):
        # The drives are pinned in tests/drives/test_demo.py, the other movements of the
        # accounts in tests/demo_accounts/, each loading only its own.
        yield load_demo(drives=False, accounts=False)


@pytest.fixture
def demo(_demo, db):
    return _demo
