"""The pages the links in mail open, in headless Chromium: the mailed link from the real SMTP
server, opened as a user would, completes the activation or the password reset.

Selenium drives Debian's chromium through Debian's chromedriver (both given by path: no Selenium
Manager, no download), offline but for the service's address.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests import leakcheck
from tests.helpers import Account, assert_error, bearer
from tests.services import Mailbox

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
_n = itertools.count(1)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("chromium and chromium-driver are not installed: make install installs them")
    # A fresh profile outside pytest's temporary directory, whose *.log files the final log
    # grep reads (the profile's LevelDB files are named *.log too).
    with tempfile.TemporaryDirectory(prefix="gosocial-chromium-") as profile:
        driver = _chromium(profile)
        try:
            yield driver
        finally:
            driver.quit()


def _chromium(profile: str) -> WebDriver:
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",  # as root
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        # Offline: every host name but the service's address fails to resolve.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    # chromedriver's log would hold the pages' addresses, tokens included: not kept.
    service = Service(str(CHROMEDRIVER), log_output=subprocess.DEVNULL)
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    return driver


def mailed_link(mailbox: Mailbox, to: str, page: str, count: int = 1) -> str:
    """The link of the newest mail to `to` whose link opens `/{page}/`, as the mail spells it."""
    token = mailbox.link_tokens(to, page, count=count)[-1]
    leakcheck.remember(token)
    for message in reversed(mailbox.sent_to(to)):
        text = message.get_body(("plain",)).get_content()
        match = re.search(rf"https?://\S+/{page}/{re.escape(token)}", text)
        if match:
            return match[0]
    raise AssertionError(f"no /{page}/ link to {to}")


def shown(driver: WebDriver, timeout: float = 15) -> str:
    """The id of the outcome the page shows once its call has answered (not `working`)."""

    def outcome(d: WebDriver) -> str | None:
        for element in d.find_elements(By.CSS_SELECTOR, "[data-state]"):
            state = element.get_attribute("id")
            if element.is_displayed() and state not in ("working", "form"):
                return state
        return None

    return WebDriverWait(driver, timeout).until(outcome)


def text_of(driver: WebDriver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def submit_passwords(driver: WebDriver, password: str, again: str) -> None:
    for field, value in (("password", password), ("again", again)):
        element = driver.find_element(By.ID, field)
        element.clear()
        element.send_keys(value)
    driver.find_element(By.ID, "submit").click()


def test_the_mailed_activation_link_activates_in_the_browser(
    browser: WebDriver, client: httpx.Client, mailbox: Mailbox, base_url: str
) -> None:
    n = f"{next(_n)}{uuid.uuid4().hex[:6]}"
    email, password = f"browser{n}@example.com", f"pw-browser-{n}"
    r = client.post(
        "/v1/auth/register", json={"username": f"browser_{n}", "email": email, "password": password}
    )
    assert r.status_code == 201, r.text
    link = mailed_link(mailbox, email, "confirm")
    assert link.startswith(f"{base_url}/confirm/")  # FRONTEND_URL unset: the service itself
    assert (
        client.post("/v1/auth/login", json={"email": email, "password": password}).status_code
        == 403
    )

    browser.get(link)
    assert shown(browser) == "done"
    assert "Your account is activated" in text_of(browser, "done")
    assert browser.title.startswith("Activate your account")
    r = client.post("/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200

    browser.get(link)  # the same link again
    assert shown(browser) == "used"
    assert "already used" in text_of(browser, "used")
    assert not browser.find_element(By.ID, "done").is_displayed()


def test_an_unknown_activation_link_says_so(browser: WebDriver, base_url: str) -> None:
    browser.get(f"{base_url}/confirm/{'Z' * 43}")
    assert shown(browser) == "used"
    browser.get(f"{base_url}/confirm/not-even-a-token")
    assert shown(browser) == "used"
    browser.get(f"{base_url}/confirm/%E0%A4%A")  # not even decodable
    assert shown(browser) == "used"
    browser.get(f"{base_url}/reset-password/%E0%A4%A")
    submit_passwords(browser, "long enough", "long enough")
    assert shown(browser) == "used"


def test_the_mailed_reset_link_sets_the_new_password_in_the_browser(
    browser: WebDriver, client: httpx.Client, mailbox: Mailbox, make_account
) -> None:
    me: Account = make_account()
    assert client.post("/v1/auth/password/forgot", json={"email": me.email}).status_code == 202
    link = mailed_link(mailbox, me.email, "reset-password")
    new_password = f"new-{uuid.uuid4().hex[:10]}"
    leakcheck.remember(new_password)

    browser.get(link)
    assert browser.find_element(By.ID, "form").is_displayed()
    # The page checks the two fields before calling the API.
    submit_passwords(browser, new_password, new_password + "x")
    assert text_of(browser, "problem") == "The two passwords are not the same."
    submit_passwords(browser, "short", "short")
    assert text_of(browser, "problem") == "The password must be 8 to 72 bytes long."
    assert client.get("/v1/users/me", headers=me.headers).status_code == 200  # nothing sent yet

    submit_passwords(browser, new_password, new_password)
    assert shown(browser) == "done"
    assert "Your password is changed" in text_of(browser, "done")
    login = {"email": me.email}
    assert (
        client.post("/v1/auth/login", json={**login, "password": new_password}).status_code == 200
    )
    assert_error(client.post("/v1/auth/login", json={**login, "password": me.password}), 401)
    assert_error(client.get("/v1/users/me", headers=bearer(me.access_token)), 401)

    browser.get(link)  # the used link
    submit_passwords(browser, "yet another one", "yet another one")
    assert shown(browser) == "used"
    assert "already used" in text_of(browser, "used")
    assert (
        client.post("/v1/auth/login", json={**login, "password": new_password}).status_code == 200
    )


def test_pages_are_static_and_keep_the_token_to_themselves(
    client: httpx.Client, base_url: str
) -> None:
    token = "Q" * 43
    for page in ("confirm", "reset-password"):
        r = client.get(f"/{page}/{token}")
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert token not in r.text  # the script reads it from the address
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["cache-control"] == "no-store"
        policy = dict(
            item.strip().split(" ", 1) for item in r.headers["content-security-policy"].split(";")
        )
        assert policy["default-src"] == "'none'" and policy["connect-src"] == "'self'"
        assert policy["script-src"].startswith("'sha256-") and "unsafe" not in policy["script-src"]
        assert policy["form-action"] == "'none'"
        # Nothing from elsewhere: no src or href at all, no other origin named.
        assert not re.search(r"""(src|href)\s*=""", r.text)
        assert "http" not in r.text.replace(base_url, "")
        assert client.get(f"/{page}/{token}/more").status_code == 404
