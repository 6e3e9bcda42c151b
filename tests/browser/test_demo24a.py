"""The result pages of the demo's movements loaded by demo24a, on a desktop and a phone:
each opened signed in as the demo login, checked for accessibility and photographed."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import accessible, manage


def _sign_in_as_demo(page, url: str, env: dict[str, str]) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill(env["DEMO_PASSWORD"])
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{url}/")


def _run_of(env: dict[str, str], title: str) -> str:
    return (
        manage(
            env,
            "from pacesetter.titles.models import EvaluationRun\n"
            f"print(EvaluationRun.objects.filter(title__code={title!r}).latest('pk').pk)",
        )
        .strip()
        .splitlines()[-1]
    )


def test_model_county_and_the_counties_that_were_close(live_url, server_env, page):
    _sign_in_as_demo(page, live_url, server_env)
    run = _run_of(server_env, "model_county")
    page.goto(f"{live_url}/titles/runs/{run}/")
    expect(page.locator(".run-facts")).to_contain_text("5 judged · 2 eligible · 2 selected")
    accessible(page, "demo24a-model-county")
    page.goto(f"{live_url}/titles/runs/{run}/?show=close")
    expect(page.locator("table.candidates")).to_contain_text("Pyokdong County")
    expect(page.locator("table.candidates")).to_contain_text("met 3 of 4 conditions")
    accessible(page, "demo24a-model-county-close")


def test_three_revolution_red_flag_and_its_renewals(live_url, server_env, page):
    _sign_in_as_demo(page, live_url, server_env)
    page.goto(f"{live_url}/titles/packs/three-revolutions/red_flag/")
    expect(page.locator("#awards-h + ul")).to_contain_text("Three-Revolution Red Flag, three times")
    accessible(page, "demo24a-red-flag")
    run = _run_of(server_env, "red_flag")
    page.goto(f"{live_url}/titles/runs/{run}/?show=close")
    page.get_by_role("link", name="Okkye-ri cooperative farm").click()
    expect(page.locator("main")).to_contain_text("Cultural revolution")
    accessible(page, "demo24a-red-flag-candidate")


def test_model_technical_innovation_unit(live_url, server_env, page):
    _sign_in_as_demo(page, live_url, server_env)
    run = _run_of(server_env, "model_innovation_unit")
    page.goto(f"{live_url}/titles/runs/{run}/")
    expect(page.locator(".run-facts")).to_contain_text("4 judged · 2 eligible · 2 selected")
    accessible(page, "demo24a-innovation-run")
    page.get_by_role("link", name="Machining workshop").click()
    expect(page.locator("main")).to_contain_text("4 of 8 (50.0%)")
    accessible(page, "demo24a-innovation-candidate")


def test_learning_after_a_model_collective(live_url, server_env, page):
    _sign_in_as_demo(page, live_url, server_env)
    page.goto(f"{live_url}/movements/learning-after-a-model-1998/practices/")
    accessible(page, "demo24a-learning-practices")
    page.get_by_role(
        "link", name="Every jig and fixture made in the factory's own tool shop"
    ).first.click()
    expect(page.locator("main")).to_contain_text("Kanggye parts factory")
    accessible(page, "demo24a-learning-practice")
