"""Helpers for the deployment tests: the files under docker/, the production environment of .env.example,
and the images' entrypoint started here as a process (no Docker needed: the same commands, on this host).
"""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import REPO_ROOT

DOCKER_DIR = REPO_ROOT / "docker"
ENTRYPOINT = DOCKER_DIR / "entrypoint.sh"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
# The Python of this test run first on PATH: the entrypoint's `python` is then the one with the packages,
# as /venv/bin/python is in the images.
PATH_WITH_THIS_PYTHON = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"


def read_env_file(path: Path) -> dict[str, str]:
    """NAME=value lines, as Docker Compose reads them (no quotes in ours); comments and blanks skipped."""
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def production_env(**overrides: str) -> dict[str, str]:
    """What a process of the Docker stack gets: .env.example with its required blanks filled in."""
    env = {
        **read_env_file(ENV_EXAMPLE),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "POSTGRES_PASSWORD": secrets.token_hex(24),
        "PATH": PATH_WITH_THIS_PYTHON,
        "DJANGO_SETTINGS_MODULE": "chatbot.settings",
        "PYTHONUNBUFFERED": "1",
    }
    return {**env, **overrides}


def entrypoint_commands() -> dict[str, str]:
    """Each role of docker/entrypoint.sh and its commands (comments left out, continuation lines joined)."""
    text = ENTRYPOINT.read_text().replace("\\\n", " ")
    roles = re.findall(r"^\s{2}([a-z-]+)\)\n(.*?)\n\s*;;", text, flags=re.MULTILINE | re.DOTALL)
    return {
        role: " ; ".join(
            " ".join(line.split()) for line in body.splitlines() if not line.strip().startswith("#")
        )
        for role, body in roles
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_role(role: str, *args: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    """`docker/entrypoint.sh <role> [args]`, as the image's ENTRYPOINT and CMD run it, logging to `log`.

    In a session of its own, so that stop() reaches the pool processes a worker forks too.
    """
    with log.open("w") as output:
        return subprocess.Popen(
            ["sh", str(ENTRYPOINT), role, *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until(
    condition: Callable[[], bool], *, process: subprocess.Popen, log: Path, what: str, timeout: float = 90
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"{what}: the process exited with {process.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, *, timeout: float = 30) -> None:
    """Send `sig` to the process (SIGKILL: to its whole group, as a crash would take them all)."""
    if process.poll() is None:
        if sig == signal.SIGKILL:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def nginx_main_conf(directory: Path, server_conf: Path) -> Path:
    """A main nginx.conf around a server block, as the nginx image includes conf.d/*.conf, writing only
    under `directory` (responses are passed on without temporary files: its workers cannot write there)."""
    temp_paths = " ".join(
        f"{kind}_temp_path {directory};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = directory / "nginx-main.conf"
    main.write_text(
        f"pid {directory}/nginx.pid; error_log {directory}/nginx-error.log; events {{}}\n"
        f"http {{ access_log off; proxy_max_temp_file_size 0; {temp_paths} include {server_conf}; }}\n"
    )
    return main
