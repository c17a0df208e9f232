"""Production settings: what .env.example configures passes `manage.py check --deploy` with no warning, and
relaxing HTTPS for a plain-HTTP trial is flagged. Each check runs in a fresh process (no pytest there)."""

import subprocess
import sys

import pytest

from tests.chatbot.deploy.stack import production_env
from tests.chatbot.test_settings import load_settings
from tests.conftest import REPO_ROOT


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_value(expression: str, env: dict[str, str]) -> str:
    result = load_settings(env, f"repr(({expression}))")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_production_environment_passes_check_deploy_without_a_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("relaxed", "warning"),
    [
        ({"SECURE_SSL_REDIRECT": "false"}, "security.W008"),
        ({"SECURE_COOKIES": "false"}, "security.W012"),
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"DEBUG": "true"}, "security.W018"),
        ({"ALLOWED_HOSTS": ""}, "security.W020"),
    ],
)
def test_check_deploy_flags_each_relaxation(relaxed, warning):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(**relaxed))
    assert result.returncode != 0
    assert warning in result.stderr


def test_production_is_https_only_by_default_except_for_the_probes():
    env = production_env(SECURE_SSL_REDIRECT="", SECURE_COOKIES="", BEHIND_TLS_PROXY="")
    expression = (
        "settings.DEBUG, settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE, "
        "settings.CSRF_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "settings.SECURE_REDIRECT_EXEMPT"
    )
    assert settings_value(expression, env) == (
        "(False, True, True, True, 31536000, True, ['^healthz$', '^readyz$'])"
    )


def test_behind_a_tls_proxy_the_forwarded_scheme_is_trusted():
    trusted = settings_value("settings.SECURE_PROXY_SSL_HEADER", production_env(BEHIND_TLS_PROXY="true"))
    direct = settings_value("settings.SECURE_PROXY_SSL_HEADER", production_env(BEHIND_TLS_PROXY="false"))
    assert (trusted, direct) == ("('HTTP_X_FORWARDED_PROTO', 'https')", "None")


def test_development_keeps_plain_http():
    env = production_env(DEBUG="true", SECURE_SSL_REDIRECT="", SECURE_COOKIES="")
    expression = "settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS"
    assert settings_value(expression, env) == "(False, False, 0)"
