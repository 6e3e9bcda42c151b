"""The titles pages: packs, a title, a run, a candidate's explanation, nominations and votes,
an award with its certificate and revocation, facts, and the public verification page."""

from __future__ import annotations

import io
import re

import pytest

from pacesetter.accounts.actions import grant_role
from pacesetter.accounts.models import Role
from pacesetter.titles import actions, revocation
from pacesetter.titles.models import Award, Judgement, Nomination, Title, YearlyEvaluation
from tests import factories

from .conftest import PACKS
from .test_actions import advanced_worker, award_all, record_advanced_workers

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    user = factories.UserFactory(username="operator", is_superuser=True)
    client.force_login(user)
    return client


def test_an_organiser_loads_a_shipped_pack_and_sees_its_titles(operator):
    response = operator.post("/titles/", {"shipped": "vn-emulation"})
    assert response.status_code == 302 and response["Location"] == "/titles/packs/vn-emulation/"
    page = operator.get(response["Location"]).content.decode()
    assert "Advanced worker (Lao động tiên tiến)" in page and "R2017" in page and "R2024" in page
    export = operator.get("/titles/packs/vn-emulation/export.yaml")
    assert export.content.decode() == (PACKS / "vn-emulation.yaml").read_text()


def test_a_broken_pack_shows_the_line(operator, vn_pack):
    text = vn_pack.text.replace("value: good", "value: fine", 1)
    response = operator.post("/titles/packs/vn-emulation/", {"text": text})
    page = response.content.decode()
    line = text.splitlines().index("            value: fine") + 1
    assert response.status_code == 200
    assert (
        f"line {line}</a> · <code>advanced_worker.R2017.requires[0].value</code>: &#x27;fine&#x27; is not one of"
        in page
    )
    assert vn_pack.pack.revisions.count() == 1


def test_editing_a_pack_makes_a_new_revision(operator, vn_pack):
    text = vn_pack.text.replace('threshold: ">= 80%"', 'threshold: ">= 75%"')
    assert operator.post("/titles/packs/vn-emulation/", {"text": text}).status_code == 302
    assert vn_pack.pack.revisions.count() == 2


def pdf_text(content: bytes) -> str:
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(content)
        handle.flush()
        return subprocess.run(
            ["pdftotext", "-layout", handle.name, "-"], capture_output=True, text=True, check=True
        ).stdout


def record_decision_on_the_page(operator, award):
    url = f"/titles/awards/{award.pk}/decision/"
    page = operator.get(f"/titles/awards/{award.pk}/").content.decode()
    assert f'hx-post="{url}"' in page and "Awaiting the awarding body" in page
    decision = {
        "number": "125/QĐ-UBND",
        "decided_on": award.awarded_on.isoformat(),
        "awarding_body": "Head of the agency",
        "signer_name": "Nguyễn Văn A",
        "signer_position": "",
    }
    missing = operator.post(url, decision, headers={"HX-Request": "true"})
    assert missing.status_code == 200  # htmx swaps only a 2xx answer
    assert "required before the award is final" in missing.content.decode()
    assert "<html" not in missing.content.decode()  # the decision section alone
    done = operator.post(
        url, {**decision, "signer_position": "Chairman"}, headers={"HX-Request": "true"}
    )
    assert done.status_code == 200 and "the award is final" in done.content.decode()


def test_run_candidate_vote_award_certificate_verify_revoke(
    operator, vn_pack, people, units, council
):
    record_advanced_workers(people, months={"w1-1": "5"})
    title = advanced_worker(vn_pack)
    response = operator.post(
        "/titles/packs/vn-emulation/advanced_worker/",
        {"year": "2024", "scope": "W1", "movement": ""},
    )
    assert response.status_code == 302
    run_url = response["Location"]
    page = operator.get(run_url).content.decode()
    assert "10 judged · 9 eligible · 9 selected" in page
    assert "excluded: newly recruited, under 6 months" in page
    candidate = title.runs.get().results.get(member=people["w1-1"])
    page = operator.get(f"/titles/candidates/{candidate.pk}/").content.decode()
    assert "Why not" in page and "✗ not met" in page
    assert f'href="/titles/people/{people["w1-1"].pk}/2024/"' in page
    # no vote for advanced worker: the organiser awards the selected
    assert operator.post(f"{run_url}nominate/").status_code == 302
    assert Award.objects.count() == 9

    fighter = Title.objects.get(pack=vn_pack.pack, code="grassroots_fighter")
    run = actions.run_evaluation(title=fighter, year=2024, scope=units["W1"])
    operator.post(f"/titles/runs/{run.pk}/nominate/")
    nomination = Nomination.objects.get()
    voter = factories.UserFactory(username="council0")
    client = operator.__class__()
    client.force_login(voter)
    page = client.get(f"/titles/runs/{run.pk}/").content.decode()
    assert 'name="choice" value="yes"' in page and "Close the vote" not in page
    for user in council:
        client.force_login(user)
        assert (
            client.post(f"/titles/nominations/{nomination.pk}/vote/", {"choice": "yes"}).status_code
            == 302
        )
    page = client.get(f"/titles/runs/{run.pk}/").content.decode()
    assert "you voted" in page
    operator.post(f"/titles/nominations/{nomination.pk}/decide/")
    award = Award.objects.get(title=fighter)
    page = operator.get(f"/titles/runs/{run.pk}/").content.decode()
    assert "5 yes of all 5 council members = 100.0%, needs &gt;= 80%: carried" in page

    # carried by the vote; no certificate until the awarding body's decision is recorded
    refused = operator.get(f"/titles/awards/{award.pk}/certificate.pdf", follow=True)
    assert "is not final: record the awarding body&#x27;s decision" in refused.content.decode()
    verify = operator.__class__().get(f"/verify/{award.code}")
    assert "not yet final" in verify.content.decode()
    record_decision_on_the_page(operator, award)

    pdf = operator.get(f"/titles/awards/{award.pk}/certificate.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    text = pdf_text(pdf.content)
    assert "Decision No. 125/QĐ-UBND of" in text and "Signed: Nguyễn Văn A, Chairman" in text

    verify = operator.__class__().get(f"/verify/{award.code}")
    page = verify.content.decode()
    assert verify.status_code == 200 and "genuine and valid" in page
    assert "No. 125/QĐ-UBND of" in page and "signed by Nguyễn Văn A, Chairman" in page
    assert operator.__class__().get("/verify/NOPE-NOPE-NOPE").status_code == 404

    advanced = Award.objects.get(title=title, member=award.member)
    response = operator.post(
        f"/titles/awards/{advanced.pk}/",
        {"reason": "months misreported", "revoked_on": advanced.awarded_on.isoformat()},
    )
    assert response.status_code == 302
    page = operator.get(f"/titles/awards/{advanced.pk}/").content.decode()
    assert f"Revoked on {advanced.awarded_on:%-d %B %Y}" in page and "grassroots" in page.lower()
    verify = operator.__class__().get(f"/verify/{award.code}").content.decode()
    assert "revoked" in verify and "It required Advanced worker" in verify


def test_facts_upload_all_or_nothing(operator, people):
    bad = io.BytesIO(b"member,year,rating,months_worked\nw1-0,2024,good,12\nw1-1,2024,superb,12\n")
    bad.name = "evaluations.csv"
    page = operator.post("/titles/facts/", {"kind": "evaluations", "file": bad}).content.decode()
    assert "1 of 2 fact rows is not valid" in page and "superb" in page
    assert '<td class="num">3</td><td>rating</td>' in page  # the file's row 3
    assert not YearlyEvaluation.objects.exists()
    good = io.BytesIO(b"member,year,rating,months_worked\nw1-0,2024,good,12\nw1-1,2024,good,6\n")
    good.name = "evaluations.csv"
    assert operator.post("/titles/facts/", {"kind": "evaluations", "file": good}).status_code == 302
    assert YearlyEvaluation.objects.get(member=people["w1-1"]).source == "evaluations.csv row 3"
    page = operator.get(f"/titles/people/{people['w1-1'].pk}/2024/").content.decode()
    assert "evaluations.csv row 3" in page


def test_facts_upload_refuses_a_subject_twice_in_one_file(operator, people):
    twice = io.BytesIO(
        b"member,year,name,value\nw1-0,2024,exemplary,yes\nw1-1,2024,exemplary,yes\n"
        b"w1-0,2024,exemplary,no\n"
    )
    twice.name = "judgements.csv"
    response = operator.post("/titles/facts/", {"kind": "judgements", "file": twice})
    page = response.content.decode()
    assert response.status_code == 200 and "1 of 3 fact rows is not valid" in page
    assert '<td class="num">4</td><td>name</td><td>repeats row 2' in page
    assert not Judgement.objects.exists()


def test_a_council_member_may_not_run_evaluations_or_revoke(
    client, vn_pack, people, units, council
):
    record_advanced_workers(people)
    run = actions.run_evaluation(title=advanced_worker(vn_pack), year=2024, scope=units["W1"])
    (award, *_) = award_all(run)
    client.force_login(council[0])
    response = client.post(
        "/titles/packs/vn-emulation/advanced_worker/",
        {"year": "2024", "scope": "W1", "movement": ""},
    )
    assert response.status_code == 403
    assert (
        client.post(
            f"/titles/awards/{award.pk}/",
            {"reason": "x", "revoked_on": award.awarded_on.isoformat()},
        ).status_code
        == 403
    )
    assert client.post(f"/titles/runs/{run.pk}/nominate/").status_code == 403


def test_outsiders_do_not_see_runs(client, vn_pack, people, units):
    record_advanced_workers(people)
    run = actions.run_evaluation(title=advanced_worker(vn_pack), year=2024, scope=units["W1"])
    outsider = factories.UserFactory(username="outsider")
    grant_role(user=outsider, role=Role.VIEWER, unit=units["P2"])
    client.force_login(outsider)
    assert client.get(f"/titles/runs/{run.pk}/").status_code == 404


def test_page_queries_are_pinned(operator, vn_pack, people, units, django_assert_num_queries):
    record_advanced_workers(people)
    run = actions.run_evaluation(title=advanced_worker(vn_pack), year=2024, scope=units["W1"])
    award_all(run)
    candidate = run.results.first()
    award = Award.objects.first()
    operator.get(f"/titles/runs/{run.pk}/")  # parse the pack once
    # each signed-in page: session and user, then what the comment says
    for url, queries in (
        (f"/titles/runs/{run.pk}/", 7),  # run, nominations, my votes, candidates, unnominated
        (f"/titles/candidates/{candidate.pk}/", 3),  # candidate with its run and subject
        (f"/titles/awards/{award.pk}/", 5),  # award, revocation, revocations it caused
        ("/titles/packs/vn-emulation/advanced_worker/", 5),  # title, runs, awards
    ):
        with django_assert_num_queries(queries):
            assert operator.get(url).status_code == 200, url
    with django_assert_num_queries(1):  # public: the award with everything it shows
        assert operator.__class__().get(f"/verify/{award.code}").status_code == 200


def test_verification_codes_look_like_codes(vn_pack, people, units):
    record_advanced_workers(people)
    (award, *_) = award_all(
        actions.run_evaluation(title=advanced_worker(vn_pack), year=2024, scope=units["W1"])
    )
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", award.code)


def test_the_honour_board_lists_title_holders(client, vn_pack, people, units, movement):
    from pacesetter.movements.models import Movement

    Movement.objects.filter(pk=movement.pk).update(is_public=True)
    record_advanced_workers({"w1-0": people["w1-0"]})
    run = actions.run_evaluation(
        title=advanced_worker(vn_pack), year=2024, scope=units["W1"], movement=movement
    )
    (award,) = award_all(run)
    page = client.get(f"/board/{movement.slug}/").content.decode()
    assert "Honorary titles" in page and "Person W1-0, Unit W1" in page
    revocation.revoke_award(award=award, reason="error", revoked_on=award.awarded_on)
    assert "Person W1-0" not in client.get(f"/board/{movement.slug}/").content.decode()


def test_signed_in_pages_link_to_titles(operator):
    assert 'href="/titles/">Titles</a>' in operator.get("/").content.decode()


def test_one_fact_entered_in_a_form(operator, people):
    from pacesetter.titles.models import Judgement

    data = {
        "kind": "judgements",
        "member": "w1-0",
        "year": "2024",
        "name": "outstanding",
        "value": "yes",
        "source": "council minutes 12 Jan 2025",
    }
    response = operator.post("/titles/facts/new/", data)
    assert response.status_code == 302
    judgement = Judgement.objects.get()
    assert (judgement.value, judgement.source) == (True, "form: council minutes 12 Jan 2025")
    response = operator.post("/titles/facts/new/", {**data, "kind": "evaluations", "rating": ""})
    assert response.status_code == 422
    assert 'class="field invalid"' in response.content.decode()  # the rating, beside its field
    response = operator.post("/titles/facts/new/", {**data, "member": "nobody"})
    assert response.status_code == 422 and "no member with the id" in response.content.decode()


def test_facts_upload_keeps_the_web_upload_limits(operator, people, settings):
    settings.UPLOAD_MAX_ROWS = 1
    rows = io.BytesIO(b"member,year,rating,months_worked\nw1-0,2024,good,12\nw1-1,2024,good,6\n")
    rows.name = "evaluations.csv"
    page = operator.post("/titles/facts/", {"kind": "evaluations", "file": rows}).content.decode()
    assert "more than 1 rows; split the file" in page
    settings.UPLOAD_MAX_BYTES = 10
    small = io.BytesIO(b"member,year,rating,months_worked\nw1-0,2024,good,12\n")
    small.name = "evaluations.csv"
    page = operator.post("/titles/facts/", {"kind": "evaluations", "file": small}).content.decode()
    assert "at most 10 are accepted here" in page
    assert not YearlyEvaluation.objects.exists()


def test_facts_upload_from_a_semicolon_export(operator, people):
    upload = io.BytesIO("\ufeffmember;year;rating\r\nw1-0;2024;good\r\n".encode())
    upload.name = "evaluations.csv"
    response = operator.post("/titles/facts/", {"kind": "evaluations", "file": upload})
    assert response.status_code == 302, response.content.decode()
    assert YearlyEvaluation.objects.get().member == people["w1-0"]


def test_evaluations_awards_and_candidates_come_a_slice_at_a_time(
    operator, vn_pack, people, units, monkeypatch
):
    from pacesetter.titles import views

    monkeypatch.setattr(views, "LIST_SLICE", 2)
    monkeypatch.setattr(views, "CANDIDATES_SLICE", 4)
    record_advanced_workers(people)
    title = advanced_worker(vn_pack)
    runs = [actions.run_evaluation(title=title, year=2024, scope=units["W1"]) for _ in range(3)]
    award_all(runs[-1])
    awards = list(Award.objects.order_by("-year", "-id").values_list("pk", flat=True))
    url = "/titles/packs/vn-emulation/advanced_worker/"
    page = operator.get(url).content.decode()
    run_links = re.findall(r'href="/titles/runs/(\d+)/"', page)
    assert run_links == [str(runs[2].pk), str(runs[1].pk)]  # the newest first
    award_links = re.findall(r'href="/titles/awards/(\d+)/"', page)
    assert award_links == [str(pk) for pk in awards[:2]]
    assert 'hx-get="?runs=2"' in page and 'hx-get="?awards=2"' in page
    htmx = {"HX-Request": "true"}
    more_runs = operator.get(url + "?runs=2", headers=htmx).content.decode()
    assert "<html" not in more_runs and "/titles/awards/" not in more_runs
    assert re.findall(r'href="/titles/runs/(\d+)/"', more_runs) == [str(runs[0].pk)]
    assert "Show more" not in more_runs
    more_awards = operator.get(url + "?awards=3", headers=htmx).content.decode()
    assert re.findall(r'href="/titles/awards/(\d+)/"', more_awards) == [
        str(pk) for pk in awards[4:6]
    ]
    assert 'hx-get="?awards=4"' in more_awards

    run_url = f"/titles/runs/{runs[-1].pk}/"
    page = operator.get(run_url + "?show=all").content.decode()
    assert len(re.findall(r'href="/titles/candidates/\d+/"', page)) == 4
    assert 'hx-get="?show=all&amp;candidates=2"' in page
    last = operator.get(run_url + "?show=all&candidates=3", headers=htmx).content.decode()
    assert "<html" not in last and len(re.findall(r'href="/titles/candidates/\d+/"', last)) == 2
