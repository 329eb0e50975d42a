"""The web inspector at /__mockplex/, driven in a real headless Chromium through the DOM it
promises (tests/browser.py starts the server and the browser). Run with
MOCKPLEX_SCREENSHOTS=1 to refresh the screenshots docs/inspector.md shows."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import time

import yaml
from conftest import DANA_SESSION, EXAMPLES, EXPIRED, RW, SESSION_COOKIE, V1, WEB_REPO
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select

START = {"repoId": WEB_REPO, "prompt": "Fix the flaky test", "createBranch": True}
VIEWS = ("traffic", "cassettes", "world", "faults")


def curl(*args: str) -> str:
    """A request from a client of its own, as a user makes one beside the page."""
    return subprocess.run(["curl", "-sS", *args], capture_output=True, text=True, timeout=20, check=True).stdout


def entry_id(page, query_marker: str) -> str:
    """The journal id of the request whose query holds the marker, as the admin API says."""
    _, journal = page.admin("GET", "journal")
    return str(next(entry["id"] for entry in journal["requests"] if query_marker in (entry["query"] or "")))


def row_css(identifier: str) -> str:
    return f'table#traffic tr.entry[data-entry-id="{identifier}"]'


def text_content(page, css: str) -> str:
    """Exactly what the element holds (pretty-printed JSON keeps its indent)."""
    return page.until(lambda driver: (page.element(css).get_attribute("textContent") or "").strip(),
                      f"text in {css}")


def shown_rows(page) -> list:
    return [row for row in page.elements("table#traffic tr.entry") if row.is_displayed()]


def press(page, *keys: str) -> None:
    chain = ActionChains(page.driver)
    for key in keys:
        chain.send_keys(key)
    chain.perform()


def choose(page, css: str, value: str) -> None:
    Select(page.element(css)).select_by_value(value)


def fill(page, css: str, value: str) -> None:
    field = page.element(css)
    field.clear()
    field.send_keys(value)


def test_a_request_made_with_curl_appears_in_the_live_list_within_a_second(inspector):
    page = inspector("--clock", "frozen")
    page.open("traffic")
    curl("-H", f"Authorization: Bearer {RW}", f"{page.origin}{V1}/repos?limit=2&seen=by-curl")
    deadline = time.monotonic() + 1.0
    identifier = entry_id(page, "seen=by-curl")
    row = page.row(row_css(identifier), seconds=max(0.0, deadline - time.monotonic()))
    assert (row["data"]["status"], row["data"]["family"], row["data"]["source"]) == ("200", "v1", "fixture")
    cells = row["cells"]
    assert (cells["method"], cells["status"], cells["route"], cells["family"], cells["source"]) == (
        "GET", "200", "GET /api/v1/mogplex/repos", "v1", "fixture")
    assert f"{V1}/repos" in cells["path"] and cells["duration"]
    assert cells["caller"] and "mog_" not in cells["caller"]  # the token's name, never the token


def test_clicking_an_exchange_shows_its_bodies_pretty_printed_a_stream_event_by_event_and_secrets_masked(inspector):
    page = inspector("--clock", "frozen")
    page.call("GET", f"{V1}/repos?limit=2")
    page.call("GET", f"{V1}/models", token=EXPIRED)
    page.open("traffic")
    answer = json.loads(curl("-X", "POST", "-H", f"Authorization: Bearer {RW}", "-H", "Content-Type: application/json",
                             "-H", "Idempotency-Key: browser-detail-1", "-d", json.dumps(START),
                             f"{page.origin}{V1}/runs?from=browser-detail"))
    page.click(row_css(entry_id(page, "from=browser-detail")))
    assert text_content(page, "#detail-request-body") == json.dumps(START, indent=2)
    assert text_content(page, "#detail-response-body") == json.dumps(answer, indent=2, ensure_ascii=False)
    request_headers = text_content(page, "#detail-request-headers")
    assert "Idempotency-Key" in request_headers and "Authorization" in request_headers
    assert text_content(page, "#detail-response-headers")
    assert RW not in page.driver.page_source  # masked as the journal masks it
    page.screenshot("traffic")

    streamed = curl("-X", "POST", "-H", f"Cookie: {SESSION_COOKIE}={DANA_SESSION}", "-d", '{"messages":[]}',
                    "-H", "Content-Type: application/json", f"{page.origin}/api/chat?from=browser-stream")
    events = [event for event in streamed.split("\n\n") if event.strip()]
    page.click(row_css(entry_id(page, "from=browser-stream")))
    shown = page.until(lambda driver: [item.text for item in page.elements("#detail-events li")], "the events")
    assert len(shown) == len(events) > 3 and "[DONE]" in shown[-1], shown
    assert any('"listening."' in event for event in shown)
    assert DANA_SESSION not in page.driver.page_source


def test_a_replay_miss_stands_out_with_its_diagnostic_and_a_curl_to_reproduce_it(inspector, tmp_path):
    cassettes = tmp_path / "cassettes"
    shutil.copytree(EXAMPLES, cassettes)
    page = inspector("--clock", "frozen", "--mode", "replay", "--cassette", "catalog", "--cassette-dir", str(cassettes))
    page.open("traffic")
    missed = curl("-H", f"Authorization: Bearer {RW}", f"{page.origin}{V1}/repos?limit=5")
    row = page.row("table#traffic tr.entry.miss")
    assert (row["data"]["status"], row["data"]["source"]) == ("404", "replay")
    page.click("table#traffic tr.entry.miss")
    diagnostic = page.text_of("#miss-diagnostic")
    assert f"GET {V1}/repos" in diagnostic and "limit" in diagnostic  # the closest recording, and what differs
    command = page.attribute("button#copy-curl", "data-curl")
    words = shlex.split(command)
    assert words[0] == "curl" and any(word.endswith(f"{V1}/repos?limit=5") for word in words), command
    assert RW not in command
    with_credential = [word.replace("<redacted>", RW) for word in words]  # as the page says: put yours back
    assert subprocess.run(with_credential, capture_output=True, text=True, timeout=20).stdout == missed
    page.screenshot("replay-miss")


def test_a_fault_added_from_the_form_fails_the_route_in_its_familys_shape_until_removed(inspector):
    page = inspector("--clock", "frozen")
    page.open("faults")
    route = f"GET {V1}/repos"
    submit = "form#fault-form [type=submit], form#fault-form button:not([type])"
    fill(page, 'form#fault-form [name="route"]', route)
    choose(page, 'form#fault-form [name="kind"]', "error")
    fill(page, 'form#fault-form [name="status"]', "200")
    page.driver.execute_script("document.getElementById('fault-form').noValidate = true")  # let the API judge it
    page.click(submit)
    assert "status must be an HTTP error status (400-599)" in page.text_of("#fault-error")
    assert page.elements("ul#fault-list li[data-fault-id]") == []

    fill(page, 'form#fault-form [name="status"]', "503")
    page.click(submit)
    fault_id = page.attribute("ul#fault-list li[data-fault-id]", "data-fault-id")
    status, body = page.call("GET", f"{V1}/repos")
    assert (status, json.loads(body)) == (503, {"ok": False, "error": {
        "code": "SERVICE_UNAVAILABLE", "message": f"mockplex injected a 503 ({fault_id})"}})
    assert page.call("GET", f"{V1}/models")[0] == 200  # only the route named

    fill(page, 'form#fault-form [name="route"]', "")
    fill(page, 'form#fault-form [name="path"]', "/api/github/")
    choose(page, 'form#fault-form [name="kind"]', "error")
    fill(page, 'form#fault-form [name="status"]', "502")
    fill(page, 'form#fault-form [name="message"]', "GitHub is down")
    page.click(submit)
    web_fault_id = page.until(lambda driver: next((item.get_attribute("data-fault-id") for item in
                                                   page.elements("ul#fault-list li[data-fault-id]")
                                                   if item.get_attribute("data-fault-id") != fault_id), None),
                              "the second fault listed")
    status, body = page.call("GET", "/api/github/installations", token=None,
                             headers={"Cookie": f"{SESSION_COOKIE}={DANA_SESSION}"})
    assert (status, json.loads(body)) == (502, {"error": "GitHub is down"})  # the web app's flat shape
    page.show("faults")  # shown afresh, with what each rule has fired since
    page.screenshot("faults")

    page.click(f'ul#fault-list li[data-fault-id="{fault_id}"] button.remove-fault')
    page.until(lambda driver: [item.get_attribute("data-fault-id") for item in
                               page.elements("ul#fault-list li[data-fault-id]")] == [web_fault_id],
               "only the web app's fault left in the list")
    assert [fault["id"] for fault in page.admin("GET", "faults")[1]["faults"]] == [web_fault_id]
    assert page.call("GET", f"{V1}/repos")[0] == 200


def test_the_clock_button_moves_a_started_run_forward_and_the_world_buttons_work(inspector):
    page = inspector("--clock", "frozen")
    status, started = page.call("POST", f"{V1}/runs", START, headers={"Idempotency-Key": "browser-clock-1"})
    assert status == 202, started
    run_id = json.loads(started)["data"]["runId"]
    page.open("world")
    run_css = f'table#runs tr[data-run-id="{run_id}"]'
    assert page.attribute(run_css, "data-status") == "pending"
    before = page.text_of("#clock-now")
    fill(page, "input#clock-seconds", "60")
    page.click("button#clock-advance")
    page.until(lambda driver: page.element(run_css).get_attribute("data-status") == "success",
               "the run to finish after a simulated minute")
    assert page.until(lambda driver: page.element("#clock-now").text.strip() != before and "10:01" in
                      page.element("#clock-now").text, "the clock to show a minute later")
    _, run = page.call("GET", f"{V1}/runs/{run_id}")
    assert json.loads(run)["data"]["run"]["status"] == "success"
    page.screenshot("world")

    tokens = page.text_of("table#tokens tbody")
    assert "mockplex dev (read+write)" in tokens and "mog_" not in tokens  # names, never the tokens
    assert page.text_of("table#sessions tbody") and "mpx_session" not in page.element("table#sessions").text
    assert page.elements("table#sandboxes tr[data-sandbox-id]")
    assert page.elements("table#automations tr[data-automation-id]")

    page.click("button#snapshot")
    page.until(lambda driver: page.element("button#restore").is_enabled(), "a snapshot to restore")
    _, later = page.call("POST", f"{V1}/runs", START, headers={"Idempotency-Key": "browser-clock-2"})
    later_css = f'table#runs tr[data-run-id="{json.loads(later)["data"]["runId"]}"]'
    page.appears(later_css)
    page.click("button#restore")
    page.until(lambda driver: not page.elements(later_css), "the run started after the snapshot to go")
    assert page.elements(run_css)
    page.click("button#world-reset")
    page.until(lambda driver: not page.elements(run_css), "the reset world to forget the started run")
    assert page.call("GET", f"{V1}/runs/{run_id}")[0] == 404


def test_the_traffic_list_works_from_the_keyboard_and_filters(inspector):
    page = inspector("--clock", "frozen")
    sent = {f"{V1}/repos?from=keys": "200", f"{V1}/models?from=keys": "200", f"{V1}/runs/not-a-uuid?from=keys": "500"}
    for path in sent:
        page.call("GET", path)
    page.open("traffic")

    def shown() -> dict[str, str]:  # this test's exchanges only, whatever else the browser asked for
        return {row.find_element("css selector", "td.path").text: row.get_attribute("data-status")
                for row in shown_rows(page) if "from=keys" in row.find_element("css selector", "td.path").text}

    page.until(lambda driver: shown() == sent, "the three exchanges")
    choose(page, "select#filter-status", "5xx")
    page.until(lambda driver: {row.get_attribute("data-status")[0] for row in shown_rows(page)} == {"5"}
               and shown() == {f"{V1}/runs/not-a-uuid?from=keys": "500"}, "only the 500 to be shown")
    choose(page, "select#filter-status", "")
    page.until(lambda driver: shown() == sent, "every exchange shown again")

    page.driver.execute_script("document.activeElement.blur()")
    press(page, "/")
    assert page.driver.switch_to.active_element == page.element("input#filter-text")
    page.element("input#filter-text").send_keys("models")
    page.until(lambda driver: len(shown_rows(page)) == 1 and shown() == {f"{V1}/models?from=keys": "200"},
               "only the /models exchange shown")
    page.element("input#filter-text").send_keys(Keys.CONTROL, "a", Keys.BACKSPACE)  # emptied by typing: an input event
    page.until(lambda driver: shown() == sent, "every exchange shown again")

    page.element("input#filter-text").send_keys("from=keys")  # the arrows move among this test's exchanges
    page.driver.execute_script("document.activeElement.blur()")
    press(page, Keys.ARROW_DOWN, Keys.ENTER)
    detail = page.text_of("#detail")
    assert any(f"{V1}{name}" in detail for name in ("/repos", "/models", "/runs/not-a-uuid")), detail

    page.driver.execute_script("document.activeElement.blur()")
    reached = set()
    for _ in range(40):
        press(page, Keys.TAB)
        reached.add(page.driver.execute_script(
            "const e = document.activeElement; return e.dataset.view || e.id || e.tagName"))
    assert set(VIEWS) | {"filter-family", "filter-status", "filter-source", "filter-text"} <= reached, reached


def test_the_page_makes_no_external_request_fits_a_1024_pixel_window_and_works_behind_an_admin_token(inspector):
    secret = "inspector-admin-secret-1"
    page = inspector("--clock", "frozen", "--admin-token", secret)
    assert page.call("GET", "/__mockplex/journal", token=None)[0] == 401  # the token is in force
    page.call("GET", f"{V1}/repos?{'&'.join(f'long-parameter-{n}=some-long-value-{n}' for n in range(30))}")
    page.driver.set_window_size(1024, 768)
    page.open("traffic")  # with #token=… in the address: the page sends it on each call
    page.click("table#traffic tr.entry")
    page.text_of("#detail-request-headers")
    for view in VIEWS:
        page.show(view)
        width = page.driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"the {view} view scrolls sideways at 1024 px: {width}"
    loaded = page.driver.execute_script("return performance.getEntriesByType('resource').map(entry => entry.name)")
    assert f"{page.origin}/__mockplex/assets/inspector.js" in loaded
    assert [name for name in loaded if not name.startswith(page.origin + "/") or secret in name] == []


def test_the_cassettes_view_lists_cassettes_their_interactions_and_lint_findings(inspector, tmp_path):
    cassettes = tmp_path / "cassettes"
    shutil.copytree(EXAMPLES, cassettes)
    catalog = yaml.safe_load((cassettes / "catalog.yaml").read_text())
    catalog["interactions"][0]["response"]["body"]["string"] = '{"ok":true,"data":{"repos":"none"}}'
    (cassettes / "catalog.yaml").write_text(yaml.safe_dump(catalog))
    page = inspector("--clock", "frozen", "--cassette-dir", str(cassettes))
    page.open("cassettes")
    names = page.until(lambda driver: {item.get_attribute("data-cassette") for item in
                                       page.elements("ul#cassette-list li[data-cassette]")}, "the cassette list")
    assert {"catalog", "errors", "mcp-session", "run-lifecycle"} <= names, names
    page.click('ul#cassette-list li[data-cassette="catalog"]')
    page.until(lambda driver: len(page.elements("table#interactions tr[data-index]")) == len(catalog["interactions"]),
               "a row per interaction")
    assert "data.repos" in page.until(lambda driver: " ".join(
        finding.text for finding in page.elements(".lint-finding")), "the lint finding")
    page.click("table#interactions tr[data-index]")
    assert f"{V1}/repos" in page.text_of("#interaction-detail")
    page.screenshot("cassettes")
