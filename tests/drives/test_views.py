import datetime as dt

import pytest
from django.urls import reverse

from pacesetter.drives import actions
from pacesetter.drives.models import DonationEntry, SignUp
from pacesetter.movements.selectors import movement_today
from tests.drives.conftest import make_call, person


@pytest.fixture
def public_call(units):
    return make_call(
        units,
        "open-call",
        quota=100,
        asks_gender=True,
        min_age=16,
        asks_age_band=True,
        roles=[("rescue", "Rescue brigade")],
    )


def test_public_sign_up_anonymous_with_csrf_and_confirmation(public_call, units):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    url = reverse("drives-sign-up", args=["open-call"])
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in page.content
    assert b'name="gender"' in page.content and b'name="skill"' not in page.content
    data = {
        "csrfmiddlewaretoken": page.context["csrf_token"],
        "idempotency_key": page.context["form"].initial["idempotency_key"],
        "full_name": "Ri Sun Hui",
        "contact": "+850 2 555 0101",
        "unit": "W1",
        "role": "rescue",
        "gender": "female",
        "age": "19",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    signup = SignUp.objects.get()
    assert response["Location"] == reverse("drives-signed-up", args=[signup.code])
    assert signup.age_band == "18-24" and signup.gender == "female"
    # The same form sent again (a double click) lands on the same confirmation.
    again = client.post(url, data)
    assert again["Location"] == response["Location"] and SignUp.objects.count() == 1
    # Another submission by the same person is refused beside the field.
    data["idempotency_key"] = "form:other"
    refused = client.post(url, data)
    assert refused.status_code == 422
    assert "already signed up" in refused.content.decode()
    confirmation = client.get(response["Location"])
    assert signup.code in confirmation.content.decode()


def test_post_without_csrf_is_refused(public_call):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("drives-sign-up", args=["open-call"]),
        {"full_name": "x", "contact": "1", "unit": "W1"},
    )
    assert response.status_code == 403
    assert SignUp.objects.count() == 0


def test_private_call_sign_up_page_is_404_for_anonymous(units, client):
    make_call(units, "private", public=False)
    assert client.get(reverse("drives-sign-up", args=["private"])).status_code == 404


def test_volunteers_page_query_count(public_call, client, django_assert_max_num_queries):
    actions.sign_up(
        call=public_call,
        rows=[person(n, role="rescue", gender="male", age=20) for n in range(30)],
    )
    with django_assert_max_num_queries(20):
        page = client.get(reverse("drives-volunteers", args=["open-call"]))
    assert page.status_code == 200
    assert "30" in page.content.decode()


def test_donation_through_to_distribution_and_receipt(donation_drive, client, user):
    client.force_login(user)
    url = reverse("drives-donations", args=["rice"])
    page = client.get(url)
    data = {
        "form": "gift",
        "gift-idempotency_key": page.context["gift_form"].initial["idempotency_key"],
        "gift-item": "rice",
        "gift-stage": "received",
        "gift-unit": "W1",
        "gift-quantity": "30",
        "gift-donor_kind": "anonymous",
        "gift-donor": "A peasant",
        "gift-estimate": "",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    entry = DonationEntry.objects.get()
    # The gift is said to be recorded once, beside its receipt (not again in the messages).
    recorded = client.get(response["Location"]).content.decode()
    assert recorded.count("Recorded.") == 1 and "receipt (PDF)</a></p>" in recorded
    too_much = {
        "form": "distribution",
        "distribution-idempotency_key": "form:d1",
        "distribution-item": "rice",
        "distribution-unit": "W1",
        "distribution-quantity": "31",
        "distribution-recipient_name": "Hospital",
    }
    refused = client.post(url, too_much)
    assert refused.status_code == 200 and "holds 30" in refused.content.decode()
    too_much["distribution-quantity"] = "12"
    distributed = client.post(url, too_much, follow=True).content.decode()
    assert distributed.count("Recorded.") == 1 and "receipt (PDF)</a></p>" not in distributed
    receipt = client.get(reverse("drives-receipt", args=["rice", entry.pk]))
    assert receipt["Content-Type"] == "application/pdf" and receipt.content.startswith(b"%PDF")


def test_donations_page_query_count(donation_drive, client, django_assert_max_num_queries):
    actions.record_donations(
        drive=donation_drive,
        rows=[
            actions.DonationRow(item="rice", stage="received", unit=u, quantity=n)
            for n, u in enumerate(["W1", "W2", "W3", "W4"] * 5, start=1)
        ],
    )
    with django_assert_max_num_queries(16):
        page = client.get(reverse("drives-donations", args=["rice"]))
    assert page.status_code == 200


def test_enlistment_page_shows_missing_and_coverage(
    enlistment, units, client, user, django_assert_max_num_queries
):
    day = movement_today(enlistment.movement)
    actions.report_enlistment(
        drive=enlistment,
        rows=[actions.EnlistmentRow(unit="C1", day=day, counts={"medical": 3, "hygiene": 0})],
    )
    with django_assert_max_num_queries(18):
        page = client.get(reverse("drives-enlistment", args=["epidemic"]) + f"?day={day}")
    html = page.content.decode()
    assert 'data-figure="coverage">33.3%' in html
    assert "missing" in html
    client.force_login(user)
    url = reverse("drives-enlistment", args=["epidemic"]) + "?unit=C3"
    response = client.post(
        url,
        {
            "idempotency_key": "form:e1",
            "unit": "C3",
            "day": (day - dt.timedelta(days=1)).isoformat(),
            "count_medical": "4",
            "count_hygiene": "9",
        },
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "model", ["donationentry", "donationbalance", "volunteercall", "callplace", "signup"]
)
def test_admin_is_read_only(client, user, call, donation_drive, model):
    actions.sign_up(call=call, rows=[person(1, role="medic", gender="male")])
    client.force_login(user)
    assert client.get(f"/admin/drives/{model}/").status_code == 200
    assert client.get(f"/admin/drives/{model}/add/").status_code == 403


def test_donation_entries_come_ten_at_a_time_latest_first(donation_drive, client, user):
    import re

    actions.record_donations(
        drive=donation_drive,
        rows=[
            actions.DonationRow(item="rice", stage="received", unit="W1", quantity=n)
            for n in range(1, 21)
        ],
    )
    latest = list(DonationEntry.objects.order_by("-id").values_list("pk", flat=True))
    client.force_login(user)
    url = reverse("drives-donations", args=["rice"])
    page = client.get(url).content.decode()
    assert re.findall(r'data-entry="(\d+)"', page) == [str(pk) for pk in latest[:10]]
    assert 'hx-get="?entries=2"' in page
    rows = client.get(url + "?entries=2", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in rows and "<form" not in rows
    assert re.findall(r'data-entry="(\d+)"', rows) == [str(pk) for pk in latest[10:]]
    assert "Show more" not in rows  # the twenty are all shown


def test_sign_ups_come_ten_at_a_time_in_the_order_they_came(public_call, client, user):
    import re

    actions.sign_up(
        call=public_call, rows=[person(n, role="rescue", gender="male", age=20) for n in range(30)]
    )
    codes = list(SignUp.objects.order_by("id").values_list("code", flat=True))
    client.force_login(user)
    url = reverse("drives-volunteers", args=["open-call"])
    page = client.get(url + "?status=signed_up").content.decode()
    assert re.findall(r'<tr data-code="([^"]+)"', page) == codes[:10]
    assert 'hx-get="?status=signed_up&amp;signups=2"' in page
    rows = client.get(url + "?status=signed_up&signups=3", headers={"HX-Request": "true"})
    rows = rows.content.decode()
    assert "<html" not in rows and re.findall(r'<tr data-code="([^"]+)"', rows) == codes[20:]
    assert "Show more" not in rows


def test_holdings_come_ten_at_a_time_largest_first(donation_drive, client, user, units):
    import re

    from pacesetter.drives.models import DonationBalance
    from tests import factories

    extra = [factories.unit(f"HOLD{n:02}", units["C1"], kind="workteam") for n in range(12)]
    actions.record_donations(
        drive=donation_drive,
        rows=[
            actions.DonationRow(item="rice", stage="received", unit=u.code, quantity=n)
            for n, u in enumerate(extra, start=1)
        ],
    )
    largest = list(DonationBalance.objects.order_by("-received_minor").values_list("pk", flat=True))
    client.force_login(user)
    url = reverse("drives-donations", args=["rice"])
    page = client.get(url).content.decode()
    assert re.findall(r'data-balance="(\d+)"', page) == [str(pk) for pk in largest[:10]]
    rows = client.get(url + "?balances=2", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in rows
    assert re.findall(r'data-balance="(\d+)"', rows) == [str(pk) for pk in largest[10:]]


def test_the_day_table_is_closed_beside_its_chart(public_call, client):
    actions.sign_up(call=public_call, rows=[person(1, role="rescue", gender="male", age=20)])
    page = client.get(reverse("drives-volunteers", args=["open-call"])).content.decode()
    assert 'class="chart"' in page
    assert page.index("<details><summary>Each day") < page.index('<table class="by-day">')


def test_receipt_and_sign_up_confirmation_give_the_movements_time(donation_drive, call, client):
    from zoneinfo import ZoneInfo

    from pacesetter.drives.receipts import receipt_html
    from pacesetter.movements.models import Movement

    Movement.objects.update(time_zone="Europe/Paris")
    paris = ZoneInfo("Europe/Paris")
    actions.record_donations(
        drive=donation_drive,
        rows=[actions.DonationRow(item="rice", stage="received", unit="W1", quantity=3)],
    )
    entry = DonationEntry.objects.select_related("drive__movement").get()
    receipt = receipt_html(entry)
    assert (
        f"recorded {entry.entered_at.astimezone(paris):%-d %B %Y %H:%M} (Europe/Paris)" in receipt
    )
    actions.sign_up(call=call, rows=[person(1, role="medic", gender="female")])
    signup = SignUp.objects.get()
    page = client.get(reverse("drives-signed-up", args=[signup.code])).content.decode()
    assert f"{signup.signed_up_at.astimezone(paris):%-d %b %Y %H:%M} (Europe/Paris)" in page


def test_breadcrumbs_of_a_private_drive_link_only_what_the_reader_may_open(units, client):
    import re

    from pacesetter.accounts.models import Grant
    from tests import factories

    make_call(units, "private", public=False)
    reporter = factories.UserFactory(username="county-reporter")
    Grant.objects.create(user=reporter, role="reporter", unit=units["C1"])
    client.force_login(reporter)
    url = reverse("drives-volunteers", args=["private"])
    page = client.get(url, {"unit": "W1"}).content.decode()
    start = page.index('aria-label="Breadcrumbs"')
    crumbs = page[start : page.index("</nav>", start)]
    assert re.findall(r'href="\?unit=(\w+)"', crumbs) == ["C1"]
    assert "Unit KP" in crumbs and "Unit P1" in crumbs
    assert client.get(url, {"unit": "C1"}).status_code == 200
    assert client.get(url, {"unit": "P1"}).status_code == 404


def test_a_sign_up_with_errors_opens_on_a_summary_and_its_fields_describe_their_errors(
    public_call, client
):
    from tests.core.test_field_templates import described_ids_are_present, error_summary

    url = reverse("drives-sign-up", args=["open-call"])
    key = client.get(url).context["form"].initial["idempotency_key"]
    page = client.post(url, {"idempotency_key": key, "full_name": "Ri", "unit": "W1"})
    html = page.content.decode()
    assert page.status_code == 422
    assert "id_contact_error" in described_ids_are_present(html)
    assert '<a href="#id_contact">' in error_summary(html)


def test_a_tallied_volunteer_is_shown_as_counted_not_named(public_call, client, user):
    actions.sign_up(
        call=public_call,
        rows=[
            person(1, role="rescue", gender="male", age=20),
            actions.SignUpRow(
                unit="W1", role="rescue", gender="female", age=30, tally=2, idempotency_key="t"
            ),
        ],
    )
    client.force_login(user)
    page = client.get(reverse("drives-volunteers", args=["open-call"])).content.decode()
    assert page.count("counted on a tally, not named") == 2 and "Volunteer 1" in page
