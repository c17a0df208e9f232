"""Browser tests: Debian's Chromium, driven by Playwright, against a real server.

The server is the production command (`daphne chatbot.asgi:application`) in a subprocess on a free
port, with its own SQLite file, the in-process reply thread and the real tiny model that
tests/conftest.py trains once per session. Every test gets a fresh browser context: new cookies,
so a new anonymous customer.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

REPO_ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = REPO_ROOT / "test-output" / "screenshots"
# Debian's package: the tests never download a browser.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
# Long enough for the first reply, which loads the model; test_chat_client fakes the clock instead.
REPLY_TIMEOUT_SECONDS = 30
# Assertions wait as long as a reply may take on a busy 2-core machine, not Playwright's 5 s.
expect.set_options(timeout=REPLY_TIMEOUT_SECONDS * 1000)


_server_logs: list[Path] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[pytest.TestReport]:
    """A failed browser test shows what the server logged (tracebacks of the reply thread, say)."""
    report = yield
    if report.failed and _server_logs and _server_logs[-1].exists():
        tail = "\n".join(_server_logs[-1].read_text(errors="replace").splitlines()[-40:])
        report.sections.append(("chat server log (last 40 lines)", tail))
    return report


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(url: str, server: subprocess.Popen, log: Path, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the chat server exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the chat server did not answer {url} within {timeout} s:\n{log.read_text()}")


@dataclass(frozen=True)
class ChatServer:
    url: str
    env: dict[str, str]  # the server's environment: `manage.py` commands with it act on its database

    def manage(self, *args: str, extra_env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO_ROOT,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout


@pytest.fixture(scope="session")
def live_server_url(chat_server: ChatServer) -> str:
    return chat_server.url


@pytest.fixture(scope="session")
def chat_server(tiny_model_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatServer]:
    """A real chat server (embedded mode) answering with the tiny model."""
    workdir = tmp_path_factory.mktemp("chat-server")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'chat.sqlite3'}",
        "CHATBOT_MODEL_DIR": str(tiny_model_root),
        "CHATBOT_REPLY_TIMEOUT_SECONDS": str(REPLY_TIMEOUT_SECONDS),
        # Test mode: static files straight from static/ (no collectstatic), the development secret.
        "CHATBOT_TESTING": "true",
        "DEBUG": "false",
        "REDIS_URL": "",
        "ALLOWED_HOSTS": "127.0.0.1",
        # A failed test prints the log's tail: it must hold everything up to the failure.
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    log = workdir / "daphne.log"
    _server_logs.append(log)
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "chatbot.asgi:application"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(f"{url}/healthz", server, log)
        yield ChatServer(url=url, env=env)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:  # a busy machine: Daphne still waiting on a socket a test left open
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    # Module scope: the sync API's event loop is closed before other modules' asyncio tests run.
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian's Chromium is required at {CHROMIUM} (apt-get install chromium)")
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile: no cookies, so the server sees a new anonymous customer."""
    fresh = browser.new_context(viewport=DESKTOP)
    fresh.set_default_timeout(REPLY_TIMEOUT_SECONDS * 1000)
    yield fresh
    fresh.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page that fails the test on any JavaScript error or alert() (an XSS would fire one)."""
    new_page = context.new_page()
    problems: list[str] = []
    new_page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    new_page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    yield new_page
    assert problems == []


def save_screenshot(page: Page, name: str) -> Path:
    """A screenshot under test-output/screenshots/ (git-ignored), for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
