"""The password change pages are the site's own (the admin's carry inline styles)."""

from django.test import Client

from tests import factories


def test_the_password_change_page_is_ours_with_no_inline_style(db):
    client = Client()
    client.force_login(factories.UserFactory(username="alice"))
    page = client.get("/accounts/password_change/").content.decode()
    assert "core/site.css" in page
    assert "style=" not in page and "<style" not in page
    assert 'id="id_old_password"' in page
