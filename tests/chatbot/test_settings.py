"""The environment helpers behind chatbot/settings.py, and the settings they produce."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from chatbot.settings import env_bool, env_int, env_list, env_secret
from tests.conftest import REPO_ROOT


@pytest.mark.parametrize(
    ("raw", "value"), [("true", True), ("1", True), ("Yes", True), ("off", False), ("", False)]
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, value):
    monkeypatch.setenv("CHATBOT_FLAG", raw)
    assert env_bool("CHATBOT_FLAG") is value


def test_env_bool_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("CHATBOT_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="CHATBOT_FLAG"):
        env_bool("CHATBOT_FLAG")


def test_env_int_checks_type_and_minimum(monkeypatch):
    monkeypatch.setenv("CHATBOT_NUMBER", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("CHATBOT_NUMBER", 5, minimum=1)
    monkeypatch.setenv("CHATBOT_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="integer"):
        env_int("CHATBOT_NUMBER", 5)
    monkeypatch.delenv("CHATBOT_NUMBER")
    assert env_int("CHATBOT_NUMBER", 5) == 5


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("CHATBOT_HOSTS", " a.example.com, b.example.com ,,")
    assert env_list("CHATBOT_HOSTS") == ["a.example.com", "b.example.com"]


def test_a_secret_is_required_outside_development(monkeypatch):
    monkeypatch.delenv("CHATBOT_SECRET", raising=False)
    with pytest.raises(ImproperlyConfigured, match="CHATBOT_SECRET must be set"):
        env_secret("CHATBOT_SECRET", dev_default="dev", allow_default=False)
    assert env_secret("CHATBOT_SECRET", dev_default="dev", allow_default=True) == "dev"


def load_settings(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh process (no pytest there), with exactly these variables."""
    code = f"from django.conf import settings; print({expression})"
    base = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "chatbot.settings"}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = load_settings({"DEBUG": "false"}, "settings.SECRET_KEY")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is false" in result.stderr


def test_redis_url_switches_to_the_distributed_mode():
    expression = "settings.CHANNEL_LAYERS['default']['BACKEND'], settings.CACHES['default']['BACKEND']"
    embedded = load_settings({"DEBUG": "true"}, expression)
    distributed = load_settings({"DEBUG": "true", "REDIS_URL": "redis://127.0.0.1:6379/3"}, expression)
    assert "InMemoryChannelLayer" in embedded.stdout and "LocMemCache" in embedded.stdout
    assert "RedisChannelLayer" in distributed.stdout and "RedisCache" in distributed.stdout
