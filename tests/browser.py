"""The harness the browser tests drive the web inspector with: a real `mockplex serve`
subprocess on a free loopback port, and Debian's headless Chromium driven by Selenium
through Debian's chromedriver (named explicitly, so Selenium Manager never tries to
download a browser or a driver: the machine may be offline)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import REPO_ROOT, RW
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait
from test_cli import Served

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
DEBIAN_PACKAGES = {CHROMIUM: "chromium", CHROMEDRIVER: "chromium-driver"}
# Screenshots are written only when asked for, so a plain test run leaves the checkout as it was.
SCREENSHOTS_ENV = "MOCKPLEX_SCREENSHOTS"
SCREENSHOT_DIR = REPO_ROOT / "docs" / "inspector"
WINDOW = "1280,800"
WAIT_SECONDS = 15.0  # generous: under -n auto on two cores a loaded Chromium can stall for seconds
POLL_SECONDS = 0.05
ROW_SCRIPT = """
const row = document.querySelector(arguments[0]);
if (!row) return null;
const cells = {};
for (const cell of row.querySelectorAll("td")) for (const name of cell.classList) cells[name] = cell.innerText.trim();
return {classes: Array.from(row.classList), data: Object.assign({}, row.dataset), cells};
"""


def require_chromium() -> None:
    """The browser tests fail, never skip, without a browser: CI installs one."""
    missing = [f"{path} (Debian package '{package}')" for path, package in DEBIAN_PACKAGES.items()
               if not path.is_file()]
    if missing:
        pytest.fail(f"the web inspector's browser tests need {' and '.join(missing)}; install them with "
                    f"`apt-get install -y chromium chromium-driver` (.ci/run does)", pytrace=False)


def headless_chromium() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={WINDOW}",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking"):
        options.add_argument(argument)
    return webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))


class Inspector:
    """One served mockplex and one headless Chromium looking at its inspector page."""

    def __init__(self, served: Served, driver: webdriver.Chrome, admin_token: str | None = None) -> None:
        self.served = served
        self.driver = driver
        self.admin_token = admin_token
        self.origin = served.base_url.split("/api/")[0]

    # -- the page ---------------------------------------------------------------------
    def open(self, view: str = "traffic") -> None:
        self.driver.get(f"{self.origin}/__mockplex/" + (f"#token={self.admin_token}" if self.admin_token else ""))
        self.show(view)

    def show(self, view: str) -> None:
        self.click(f'nav a[data-view="{view}"]')
        self.until(lambda driver: self.element(f"section#view-{view}").is_displayed(), f"the {view} view is shown")

    def element(self, css: str):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def elements(self, css: str) -> list:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def until(self, condition: Callable[[Any], Any], what: str, seconds: float = WAIT_SECONDS) -> Any:
        """Wait, without sleeping, for `condition(driver)` to be truthy; its value."""
        waiting = WebDriverWait(self.driver, seconds, poll_frequency=POLL_SECONDS,
                                ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
        return waiting.until(condition, f"waited {seconds:g}s for {what}")

    def appears(self, css: str, seconds: float = WAIT_SECONDS):
        return self.until(lambda driver: next(iter(self.elements(css)), None), f"{css} to appear", seconds)

    def attribute(self, css: str, name: str, seconds: float = WAIT_SECONDS) -> str:
        """The attribute once the element is there and has it, read again if re-rendered."""
        return self.until(lambda driver: self.element(css).get_attribute(name), f"{css} with {name}", seconds)

    def row(self, css: str, seconds: float = WAIT_SECONDS) -> dict[str, Any]:
        """A table row read in one go once it is there: its classes, data-* attributes and
        the text of each cell by the cell's class."""
        return self.until(lambda driver: driver.execute_script(ROW_SCRIPT, css), f"{css} to appear", seconds)

    def click(self, css: str, seconds: float = WAIT_SECONDS) -> None:
        """Click the element, finding it again if the page re-rendered it meanwhile."""
        self.until(lambda driver: self.element(css).click() or True, f"a click on {css}", seconds)

    def text_of(self, css: str, seconds: float = WAIT_SECONDS) -> str:
        """The element's text once it has some (a detail fills in after a fetch)."""
        return self.until(lambda driver: self.element(css).text.strip(), f"text in {css}", seconds)

    def screenshot(self, name: str) -> None:
        if os.environ.get(SCREENSHOTS_ENV) == "1":
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            self.driver.save_screenshot(str(SCREENSHOT_DIR / f"{name}.png"))

    # -- the server, as another client sees it ----------------------------------------
    def call(self, method: str, path: str, body: Any = None, token: str | None = RW,
             headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        request = urllib.request.Request(self.origin + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def admin(self, method: str, name: str, body: Any = None) -> tuple[int, Any]:
        headers = {"X-Mockplex-Admin-Token": self.admin_token} if self.admin_token else {}
        status, raw = self.call(method, f"/__mockplex/{name}", body, token=None, headers=headers)
        return status, json.loads(raw)


class Inspectors:
    """Opens inspectors for one test and closes every browser and server it opened."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.opened: list[Inspector] = []

    def __call__(self, *serve_flags: str) -> Inspector:
        require_chromium()
        served = Served("--quiet", *serve_flags, cwd=self.folder)
        try:
            driver = headless_chromium()
        except BaseException:
            served.stop()
            raise
        flags = list(serve_flags)
        admin_token = flags[flags.index("--admin-token") + 1] if "--admin-token" in flags else None
        self.opened.append(Inspector(served, driver, admin_token))
        return self.opened[-1]

    def close(self) -> None:
        for inspector in self.opened:
            try:
                inspector.driver.quit()
            finally:
                inspector.served.stop()
