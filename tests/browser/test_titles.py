"""Honorary titles as an organiser and a council do them: load a rule pack, record the year's
facts from a file, run an evaluation, see why a candidate failed, put the selected to the
council, vote, award, download the certificate, check it on the public verification page,
then revoke it and see the revocation there.

The server runs on its own database (like the shared harness), seeded with a small enterprise
per viewport, an organiser and a council of three.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BIN, SCREENSHOTS, running_server, screenshot
from tests.browser.test_every_page import violations

PASSWORD = "titles-browser-password"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"

SEED = f"""
from django.contrib.auth import get_user_model
from pacesetter.accounts.actions import grant_role
from pacesetter.units.actions import UnitRow, create_member, import_units
from pacesetter.units.models import Unit

import_units(rows=[UnitRow("TT", "Textile trust", "country")] + [
    UnitRow(code, name, "enterprise", "TT")
    for code, name in (("TD", "Weaving mill (desktop)"), ("TP", "Weaving mill (phone)"))
])
for code in ("TD", "TP"):
    unit = Unit.objects.get(code=code)
    for i, name in enumerate(("Kim Ok Sun", "Ri Chol", "Pak Yong Hui", "Choe Song Il")):
        create_member(unit=unit, full_name=name, external_id=f"{{code.lower()}}-{{i}}")
users = get_user_model()
def user(name):
    made = users.objects.create_user(username=name, password={PASSWORD!r})
    return made
grant_role(user=user("organiser"), role="organiser", unit=Unit.objects.get(code="TT"))
for i in range(3):
    grant_role(user=user(f"council{{i}}"), role="council_member", unit=Unit.objects.get(code="TT"))
"""


@pytest.fixture(scope="module")
def titles_url(tmp_path_factory):
    var = tmp_path_factory.mktemp("titles-server")
    env = {
        **os.environ,
        "PACESETTER_VAR": str(var),
        "DATABASE_URL": f"sqlite:///{var}/pacesetter.sqlite3",
        "WEB_CONCURRENCY": "2",
    }
    pacesetter = str(BIN / "pacesetter")
    subprocess.run([pacesetter, "migrate", "-v", "0"], env=env, check=True)
    seeded = subprocess.run(
        [pacesetter, "shell", "-c", SEED], env=env, capture_output=True, text=True, check=False
    )
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    with running_server(env) as url:
        yield url


def sign_in(page, url: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{url}/")


def upload(page, kind: str, name: str, content: str) -> None:
    page.get_by_label("Kind").select_option(kind)
    page.get_by_label("File").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": content.encode()}
    )
    page.get_by_role("button", name="Record").click()
    expect(page.locator(".messages")).to_contain_text(f"Recorded 4 {kind} from {name}")


def test_a_title_from_rules_to_a_revoked_certificate(titles_url, page):
    url = titles_url
    unit = "TD" if page.viewport_name == "desktop" else "TP"
    prefix = unit.lower()

    # The organiser loads the Vietnamese pack.
    sign_in(page, url, "organiser")
    page.goto(f"{url}/titles/")
    page.get_by_role("button", name="Load vn-emulation").click()
    expect(
        page.get_by_role("heading", name="Vietnam — Law on Emulation and Commendation")
    ).to_be_visible()
    screenshot(page, "titles-pack")

    # The year's facts, from files: one person joined in the autumn (4 months worked).
    page.goto(f"{url}/titles/facts/")
    upload(
        page,
        "evaluations",
        "evaluations-2024.csv",
        "member,year,rating,months_worked\n"
        f"{prefix}-0,2024,excellent,12\n{prefix}-1,2024,good,12\n"
        f"{prefix}-2,2024,good,4\n{prefix}-3,2024,good,12\n",
    )
    upload(
        page,
        "judgements",
        "judgements-2024.csv",
        "member,year,name,value\n"
        + "".join(f"{prefix}-{i},2024,self_reliance_and_solidarity,yes\n" for i in range(4)),
    )

    # Advanced worker, 2024: the new hire fails, and the page says why.
    page.goto(f"{url}/titles/packs/vn-emulation/advanced_worker/")
    page.get_by_label("Year").fill("2024")
    page.get_by_label("Unit").fill(unit)
    page.get_by_role("button", name="Evaluate").click()
    expect(page.locator("dl.facts")).to_contain_text("4 judged · 3 eligible · 3 selected")
    expect(page.locator("table.candidates")).to_contain_text(
        "excluded: newly recruited, under 6 months"
    )
    screenshot(page, "titles-run")
    page.get_by_role("link", name="Pak Yong Hui").click()
    why = page.locator(".why-not")
    expect(why).to_contain_text("newly recruited, under 6 months")
    expect(page.locator(".tree").first).to_contain_text("months_worked: 4")
    screenshot(page, "titles-why-not")
    page.go_back()
    page.get_by_role("button", name="Award the 3 selected").click()
    expect(page.locator(".messages")).to_contain_text("Awarded 3")

    # Grassroots emulation fighter: Kim Ok Sun (rated excellent) goes to the council.
    page.goto(f"{url}/titles/packs/vn-emulation/grassroots_fighter/")
    page.get_by_label("Year").fill("2024")
    page.get_by_label("Unit").fill(unit)
    page.get_by_role("button", name="Evaluate").click()
    expect(page.locator("dl.facts")).to_contain_text("4 judged · 1 eligible · 1 selected")
    run_url = page.url
    page.get_by_role("button", name="Nominate the 1 selected to the council").click()
    expect(page.locator(".messages")).to_contain_text("Nominated 1 to the council")

    # Her dossier: the organiser adds the unit's achievement report.
    page.get_by_role("link", name="dossier").click()
    expect(page.get_by_role("heading", name="Dossier of Kim Ok Sun")).to_be_visible()
    dossier_url = page.url
    page.get_by_label("What it is").select_option("report")
    page.get_by_label("Document", exact=True).set_input_files(
        {"name": "Achievement report 2024.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Add to the dossier").click()
    expect(page.locator(".messages")).to_contain_text("Added Achievement report 2024.pdf")
    expect(page.locator("ul.attachments")).to_contain_text("achievement report")

    # The council votes: 3 yes of all 3 members; the first reads the dossier and votes there.
    for i in range(3):
        sign_in(page, url, f"council{i}")
        if i == 0:
            page.goto(dossier_url)
            expect(page.locator(".tree").first).to_contain_text("✓ met")
            assert not violations(page)
            screenshot(page, "titles-dossier")
            with page.expect_download() as download:
                page.get_by_role("link", name="Achievement report 2024.pdf").click()
            assert download.value.suggested_filename == "Achievement report 2024.pdf"
        else:
            page.goto(run_url)
        page.get_by_role("button", name="Yes", exact=True).click()
        expect(page.locator(".messages")).to_contain_text("Your vote on Kim Ok Sun is recorded")
        if i == 0:
            expect(page.get_by_text("You voted yes.")).to_be_visible()
    screenshot(page, "titles-vote")

    sign_in(page, url, "organiser")
    page.goto(run_url)
    page.get_by_role("button", name="Close the vote").click()
    expect(page.locator(".messages")).to_contain_text("3 yes of all 3 council members = 100.0%")
    # The council's minutes, drawn from the votes.
    page.goto(dossier_url)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("minutes of this evaluation")).click()
    minutes = SCREENSHOTS / f"minutes-{page.viewport_name}.pdf"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    download.value.save_as(minutes)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-singlefile", str(minutes), str(minutes.with_suffix(""))],
        check=True,
    )
    text = subprocess.run(
        ["pdftotext", "-layout", str(minutes), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Kim Ok Sun" in text and "needs >= 80%:" in text
    assert " ".join(text.split()).count("3 3 3 0 0 100.0% carried") == 1
    page.goto(run_url)
    page.get_by_role("link", name=re.compile("award ")).click()

    # Carried by the vote, the award waits for the awarding body's decision; recorded on the
    # award's page, it makes the award final and its certificate issued.
    expect(page.locator("#decision")).to_contain_text("Awaiting the awarding body's decision")
    page.get_by_label("Decision number").fill("125/QĐ-UBND")
    page.get_by_label("Decision date").fill(dt.date.today().isoformat())
    page.get_by_label("Signed by (name)").fill("Nguyễn Văn A")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#decision")).to_contain_text("required before the award is final")
    page.get_by_label("Signer's position").fill("Director")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#decision")).to_contain_text("the award is final")
    screenshot(page, "titles-decision")

    # The certificate downloads, and it is a PDF.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the certificate (PDF)").click()
    pdf = SCREENSHOTS / f"certificate-{page.viewport_name}.pdf"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-singlefile", str(pdf), str(pdf.with_suffix(""))],
        check=True,
    )
    code = page.locator("dl.facts code").first.inner_text()
    award_url = page.url
    screenshot(page, "titles-award")

    # Anyone can verify it.
    page.context.clear_cookies()
    page.goto(f"{url}/verify/{code}")
    expect(page.locator(".verdict")).to_contain_text("genuine and valid")
    expect(page.locator("dl.facts")).to_contain_text("Kim Ok Sun")
    expect(page.locator("dl.facts")).to_contain_text("No. 125/QĐ-UBND")
    screenshot(page, "titles-verify")

    # The organiser revokes her advanced worker title; the fighter title needed it.
    sign_in(page, url, "organiser")
    page.goto(f"{url}/titles/packs/vn-emulation/advanced_worker/")
    holder = f"Kim Ok Sun (Weaving mill ({page.viewport_name}))"
    page.locator("#awards-h + ul li", has_text=holder).get_by_role("link").click()
    page.get_by_label("Reason").fill("The evaluation was entered for the wrong year.")
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator(".messages")).to_contain_text("and 1 award(s) that depended on it")
    page.goto(award_url)
    expect(page.locator("p.error")).to_contain_text("Revoked on")

    page.context.clear_cookies()
    page.goto(f"{url}/verify/{code}")
    expect(page.locator(".verdict")).to_contain_text("revoked")
    expect(page.locator("main")).to_contain_text("It required Advanced worker")
    screenshot(page, "titles-verify-revoked")


def test_past_awards_uploaded_previewed_and_confirmed(titles_url, page):
    url = titles_url
    prefix = "td" if page.viewport_name == "desktop" else "tp"
    sign_in(page, url, "organiser")
    page.goto(f"{url}/titles/")
    page.get_by_role("button", name="Load vn-emulation").click()
    page.goto(f"{url}/titles/")
    page.get_by_role("link", name="Import past awards").click()
    page.get_by_label("Rule pack").select_option("vn-emulation")
    rows = "".join(
        f"{prefix}-1;grassroots_fighter;{year};Director of the mill;{year}/QĐ;{year}-12-28\r\n"
        for year in (2016, 2017, 2018)
    )
    page.get_by_label("File").set_input_files(
        {
            "name": "history.csv",
            "mimeType": "text/csv",
            "buffer": (
                "\ufeffmember;title;year;awarding_body;decision_number;decision_date\r\n" + rows
            ).encode(),
        }
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("main")).to_contain_text("All 3 rows are valid.")
    expect(page.locator("main table")).to_contain_text("2016/QĐ of 2016-12-28")
    screenshot(page, "titles-awards-preview")
    page.get_by_role("button", name="Confirm: import 3 awards").click()
    expect(page.locator(".messages")).to_contain_text("3 awards imported, 0 already recorded")
    page.goto(f"{url}/titles/packs/vn-emulation/grassroots_fighter/")
    expect(page.locator("#awards-h + ul")).to_contain_text("imported by organiser")
