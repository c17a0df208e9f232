"""The web image's commands for real, with the production settings of .env.example: the migrate one-shot,
collectstatic as the image build runs it, `docker/entrypoint.sh web` (daphne), the image's health check,
and the nginx proxy of docker/compose.yml in front (where nginx is installed).

Over plain HTTP only the probes answer; pages need HTTPS (X-Forwarded-Proto from the TLS proxy).
"""

import base64
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.chatbot.deploy.stack import (
    DOCKER_DIR,
    free_port,
    nginx_main_conf,
    production_env,
    start_role,
    stop,
    wait_until,
)
from tests.conftest import REPO_ROOT

HOST = "chat.example.com"
HTTPS = {"X-Forwarded-Proto": "https"}


@dataclass(frozen=True)
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def get(port: int, path: str, *, host: str = HOST, headers: dict[str, str] | None = None) -> Response:
    """One request, redirects not followed."""
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        client.request("GET", path, headers={"Host": host, **(headers or {})})
        response = client.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        client.close()


def websocket_handshake(port: int, *, origin: str) -> int:
    """The status of a websocket handshake to the chat socket: 101 accepted, 403 refused."""
    key = base64.b64encode(os.urandom(16)).decode()
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        client.request(
            "GET",
            "/ws/chat/",
            headers={
                "Host": HOST,
                "Origin": origin,
                "Upgrade": "websocket",
                "Connection": "Upgrade",
                "Sec-WebSocket-Key": key,
                "Sec-WebSocket-Version": "13",
                **HTTPS,
            },
        )
        return client.getresponse().status
    finally:
        client.close()


@dataclass(frozen=True)
class WebServer:
    port: int
    env: dict[str, str]
    migrate_output: str
    static_root: Path


@pytest.fixture(scope="module")
def web_server(tiny_model_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    workdir = tmp_path_factory.mktemp("production-web")
    port = free_port()
    env = production_env(
        ALLOWED_HOSTS=HOST,
        CSRF_TRUSTED_ORIGINS=f"https://{HOST}",
        BIND_ADDRESS="127.0.0.1",
        PORT=str(port),
        DATABASE_URL=f"sqlite:///{workdir / 'chat.sqlite3'}",
        REDIS_URL="",
        CHATBOT_MODEL_DIR=str(tiny_model_root),
        STATIC_ROOT=str(workdir / "static"),
    )
    migrate = subprocess.run(
        ["sh", str(DOCKER_DIR / "entrypoint.sh"), "migrate"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    # What the web image's build runs (docker/Dockerfile), into this test's STATIC_ROOT.
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collect.returncode == 0, collect.stderr
    log = workdir / "daphne.log"
    server = start_role("web", env=env, log=log)
    try:
        wait_until(
            lambda: health_check(env) == 0,
            process=server,
            log=log,
            what="daphne answering /healthz",
            timeout=60,
        )
        yield WebServer(port=port, env=env, migrate_output=migrate.stdout, static_root=workdir / "static")
    finally:
        stop(server)


def health_check(env: dict[str, str], path: str = "/healthz") -> int:
    """The web image's HEALTHCHECK command; its exit status."""
    return subprocess.run(
        [sys.executable, str(DOCKER_DIR / "healthcheck.py"), path],
        env=env,
        capture_output=True,
        timeout=30,
    ).returncode


def test_the_migrate_one_shot_keeps_an_existing_model(web_server, tiny_model_root):
    [version] = [path.name for path in tiny_model_root.iterdir() if path.is_dir()]
    assert f"Model {version} is ready; nothing to train." in web_server.migrate_output


def test_the_health_check_passes_while_daphne_serves_and_fails_without_it(web_server):
    assert health_check(web_server.env) == 0
    assert health_check({**web_server.env, "PORT": str(free_port())}) == 1
    assert health_check(web_server.env, "/no-such-page") == 1


def test_the_probes_answer_over_plain_http(web_server):
    assert get(web_server.port, "/healthz").body == b"ok"
    ready = get(web_server.port, "/readyz")
    body = json.loads(ready.body)
    assert ready.status == 200, body
    assert (body["status"], body["mode"]) == ("ready", "embedded")


def test_pages_over_plain_http_are_redirected_to_https(web_server):
    response = get(web_server.port, "/")
    assert (response.status, response.headers["Location"]) == (301, f"https://{HOST}/")


def test_pages_over_https_carry_hsts_and_secure_cookies(web_server):
    response = get(web_server.port, "/", headers=HTTPS)
    assert response.status == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    [cookie] = response.headers.get_all("Set-Cookie")
    assert cookie.startswith("chatbot_customer=")
    assert {"Secure", "HttpOnly", "SameSite=Lax"} <= {part.strip() for part in cookie.split(";")}
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_host_that_is_not_allowed_is_refused(web_server):
    assert get(web_server.port, "/", host="evil.example.net", headers=HTTPS).status == 400


def test_static_files_are_served_hashed_compressed_and_cached_for_good(web_server):
    manifest = json.loads((web_server.static_root / "staticfiles.json").read_text())
    hashed = manifest["paths"]["chat/chat.js"]
    assert hashed != "chat/chat.js"
    response = get(web_server.port, f"/static/{hashed}", headers={**HTTPS, "Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"]


def test_sockets_are_accepted_only_from_pages_on_an_allowed_host(web_server):
    assert websocket_handshake(web_server.port, origin=f"https://{HOST}") == 101
    assert websocket_handshake(web_server.port, origin="https://evil.example.net") == 403


@pytest.fixture(scope="module")
def proxy_port(web_server, tmp_path_factory) -> Iterator[int]:
    """docker/nginx.conf in front of the daphne above: only the listen address and the upstream differ."""
    if shutil.which("nginx") is None:
        pytest.skip("nginx is not installed (the proxy runs in its own image)")
    workdir = tmp_path_factory.mktemp("proxy")
    port = free_port()
    conf = (DOCKER_DIR / "nginx.conf").read_text()
    for compose_value, local_value in (
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("set $web http://web:8000;", f"set $web http://127.0.0.1:{web_server.port};"),
    ):
        assert conf.count(compose_value) == 1, compose_value
        conf = conf.replace(compose_value, local_value)
    (workdir / "server.conf").write_text(conf)
    main = nginx_main_conf(workdir, workdir / "server.conf")
    log = workdir / "nginx.log"
    with log.open("w") as output:
        proxy = subprocess.Popen(
            ["nginx", "-p", str(workdir), "-c", str(main), "-g", "daemon off;"], stdout=output, stderr=output
        )

    def answers() -> bool:
        try:
            return get(port, "/proxy-healthz").status == 200
        except OSError:
            return False

    try:
        wait_until(answers, process=proxy, log=log, what="nginx answering", timeout=30)
        yield port
    finally:
        stop(proxy, signal.SIGQUIT)


def test_the_proxy_passes_pages_probes_and_sockets_with_the_scheme(proxy_port):
    assert get(proxy_port, "/proxy-healthz").body == b"ok\n"
    assert get(proxy_port, "/readyz").status == 200  # from 127.0.0.1: a private address
    # The scheme nginx saw (plain HTTP) reaches Django, or the one of the TLS proxy in front of nginx.
    assert get(proxy_port, "/").status == 301
    assert get(proxy_port, "/", headers=HTTPS).status == 200
    assert websocket_handshake(proxy_port, origin=f"https://{HOST}") == 101
    assert websocket_handshake(proxy_port, origin="https://evil.example.net") == 403
