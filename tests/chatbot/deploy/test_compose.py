"""docker/compose.yml: the stack's services, their commands, health checks, start order and variables.

Docker does not run on the test machines: the file is read with PyYAML (always), and checked by
`docker compose config` where the Docker Compose client is installed.
"""

import re
import shutil
import subprocess

import pytest
import yaml

from tests.chatbot.deploy.stack import DOCKER_DIR, ENV_EXAMPLE, entrypoint_commands, read_env_file
from tests.conftest import REPO_ROOT

COMPOSE_FILE = DOCKER_DIR / "compose.yml"
# Service -> (image target, entrypoint role).
APP_SERVICES = {
    "migrate": ("worker", "migrate"),
    "web": ("web", "web"),
    "worker": ("worker", "inference-worker"),
    "worker-default": ("web", "default-worker"),
    "beat": ("web", "beat"),
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def test_the_stack_has_every_service(services):
    assert set(services) == {"postgres", "redis", "proxy", *APP_SERVICES}


@pytest.mark.parametrize(("service", "expected"), APP_SERVICES.items())
def test_each_app_service_runs_a_role_of_the_entrypoint_in_its_image(services, service, expected):
    target, role = expected
    definition = services[service]
    assert definition["build"]["dockerfile"] == "docker/Dockerfile"
    assert definition["build"]["target"] == target
    assert definition["command"] == [role]
    assert role in entrypoint_commands()


def test_the_app_services_share_the_database_redis_and_secrets(services):
    for service in APP_SERVICES:
        environment = services[service]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://chatbot:${POSTGRES_PASSWORD")
        assert environment["DATABASE_URL"].endswith("@postgres:5432/chatbot")
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")
        assert services[service]["env_file"] == [{"path": "../.env", "required": False}]


def test_the_web_runs_several_processes_behind_the_proxy(services):
    assert services["web"]["deploy"]["replicas"] >= 2
    assert "ports" not in services["web"]  # only through the proxy, which spreads the connections
    assert services["proxy"]["ports"] == ["${HTTP_PORT:-8000}:80"]
    assert "./nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["proxy"]["volumes"]


def test_every_long_running_service_has_a_health_check(services):
    for service in ("postgres", "redis", "proxy", "worker-default"):
        assert services[service]["healthcheck"]["test"], service
    # web and worker use their image's HEALTHCHECK (test_images.py); the one-shot and beat have none.
    for service in ("web", "worker"):
        assert "healthcheck" not in services[service]
    for service in ("migrate", "beat"):
        assert services[service]["healthcheck"] == {"disable": True}
    ping = services["worker-default"]["healthcheck"]["test"][1]
    assert "celery -A chatbot inspect ping --destination celery@$$HOSTNAME" in ping


def test_services_start_once_what_they_need_is_up(services):
    conditions = {
        service: {name: need["condition"] for name, need in definition.get("depends_on", {}).items()}
        for service, definition in services.items()
    }
    assert conditions["migrate"] == {"postgres": "service_healthy"}
    for service in ("web", "worker", "worker-default", "beat"):
        assert conditions[service] == {
            "migrate": "service_completed_successfully",
            "redis": "service_healthy",
        }
    assert conditions["proxy"] == {"web": "service_healthy"}
    assert services["migrate"]["restart"] == "no"


def test_models_are_written_by_the_one_shot_and_read_by_the_workers(compose, services):
    assert services["migrate"]["volumes"] == ["models:/data/models"]
    assert services["worker"]["volumes"] == ["models:/data/models:ro"]
    assert services["postgres"]["volumes"] == ["pgdata:/var/lib/postgresql/data"]
    assert services["beat"]["volumes"] == ["beat:/data/beat"]
    assert set(compose["volumes"]) == {"pgdata", "redis-data", "models", "beat"}


def test_the_gpu_reservation_is_there_to_uncomment(services):
    assert "deploy" not in services["worker"]  # CPU by default
    uncommented = re.sub(r"^(    )# (deploy:|  )", r"\1\2", COMPOSE_FILE.read_text(), flags=re.MULTILINE)
    [device] = yaml.safe_load(uncommented)["services"]["worker"]["deploy"]["resources"]["reservations"][
        "devices"
    ]
    assert device == {"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}


def test_every_variable_the_compose_file_reads_is_in_env_example():
    read = set(re.findall(r"(?<!\$)\$\{(\w+)", COMPOSE_FILE.read_text()))
    assert read == {"POSTGRES_PASSWORD", "SECRET_KEY", "ALLOWED_HOSTS", "TORCH_VARIANT", "HTTP_PORT"}
    assert read <= set(read_env_file(ENV_EXAMPLE))


def test_every_variable_of_env_example_is_documented():
    documented = (REPO_ROOT / "docs" / "configuration.md").read_text()
    in_example = set(read_env_file(ENV_EXAMPLE))
    in_example |= set(re.findall(r"^# (\w+)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))
    undocumented = {name for name in in_example if f"| `{name}` |" not in documented}
    assert not undocumented


def docker_compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


needs_docker_compose = pytest.mark.skipif(
    not docker_compose_available(), reason="the Docker Compose client (`docker compose`) is not installed"
)


def docker_compose_config(env_file, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["docker", "compose", "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@needs_docker_compose
def test_docker_compose_accepts_the_file_once_env_is_filled_in(tmp_path):
    env = ENV_EXAMPLE.read_text()
    env = env.replace("\nSECRET_KEY=\n", "\nSECRET_KEY=a-secret\n")
    env = env.replace("\nPOSTGRES_PASSWORD=\n", "\nPOSTGRES_PASSWORD=a0password\n")
    (tmp_path / ".env").write_text(env)
    result = docker_compose_config(tmp_path / ".env", "--services")
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {"postgres", "redis", "proxy", *APP_SERVICES}
    rendered = yaml.safe_load(docker_compose_config(tmp_path / ".env").stdout)
    assert rendered["services"]["web"]["environment"]["DATABASE_URL"] == (
        "postgres://chatbot:a0password@postgres:5432/chatbot"
    )


@needs_docker_compose
def test_docker_compose_refuses_to_start_without_the_secrets():
    result = docker_compose_config(ENV_EXAMPLE, "--quiet")
    assert result.returncode != 0
    assert "in .env" in result.stderr
