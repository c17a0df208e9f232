"""docker/Dockerfile and docker/entrypoint.sh: multi-stage, non-root, no secret inside, health checks, the
pinned torch in a CPU and a CUDA variant, and the same commands and queues as the app and its tests."""

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field

import pytest
from django.conf import settings

from tests.chatbot.deploy.stack import DOCKER_DIR, entrypoint_commands, nginx_main_conf
from tests.conftest import REPO_ROOT


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)  # (INSTRUCTION, arguments)

    def all(self, instruction: str) -> list[str]:
        return [arguments for name, arguments in self.instructions if name == instruction]

    def last(self, instruction: str) -> str:
        return self.all(instruction)[-1]


def dockerfile_stages() -> dict[str, Stage]:
    """The stages of docker/Dockerfile by name; instructions with their continuation lines joined."""
    text = (DOCKER_DIR / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    stages: dict[str, Stage] = {}
    current = None
    for line in joined.splitlines():
        if not line.strip():
            continue
        instruction, _, arguments = line.strip().partition(" ")
        if instruction == "FROM":
            base, _, name = arguments.partition(" AS ")
            current = stages[name] = Stage(name=name, base=base)
        elif current is not None:
            current.instructions.append((instruction, arguments))
    return stages


@pytest.fixture(scope="module")
def stages() -> dict[str, Stage]:
    return dockerfile_stages()


def test_the_images_are_built_in_stages(stages):
    assert list(stages) == ["base", "web-deps", "worker-deps", "web", "worker"]
    assert "COPY --from=web-deps /venv /venv" in [f"COPY {a}" for a in stages["web"].all("COPY")]
    assert "COPY --from=worker-deps /venv /venv" in [f"COPY {a}" for a in stages["worker"].all("COPY")]


@pytest.mark.parametrize("image", ["web", "worker"])
def test_each_image_runs_as_an_unprivileged_user(stages, image):
    assert stages[image].last("USER") == "chatbot"
    assert "useradd --uid 10001" in stages["base"].last("RUN")


@pytest.mark.parametrize(("image", "role"), [("web", "web"), ("worker", "inference-worker")])
def test_each_image_starts_its_role_of_the_entrypoint(stages, image, role):
    assert stages[image].last("ENTRYPOINT") == '["/app/docker/entrypoint.sh"]'
    assert stages[image].last("CMD") == f'["{role}"]'


def test_the_web_image_checks_liveness_and_the_worker_image_readiness(stages):
    web, worker = stages["web"].last("HEALTHCHECK"), stages["worker"].last("HEALTHCHECK")
    assert web.endswith('CMD ["python", "docker/healthcheck.py", "/healthz"]')
    assert worker.endswith('CMD python manage.py readiness --worker "celery@$HOSTNAME"')


def test_no_secret_is_baked_into_an_image(stages):
    for stage in stages.values():
        for name, arguments in stage.instructions:
            if name in {"ENV", "ARG", "LABEL"}:
                assert not re.search(r"SECRET|PASSWORD|TOKEN", arguments), (stage.name, arguments)
    # The one SECRET_KEY is a throwaway in collectstatic's own environment, not an ENV of the image.
    [collect] = [run for run in stages["web"].all("RUN") if "collectstatic" in run]
    assert collect.startswith("SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic")
    ignored = (REPO_ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".git", "var", "models", "tests"} <= set(ignored)


def test_the_worker_installs_the_pinned_torch_for_cpu_or_cuda(stages):
    assert "torch==2.13.0" in (REPO_ROOT / "requirements.txt").read_text().split()
    install = stages["worker-deps"].last("RUN")
    assert "torch_pin=$(grep '^torch==' /tmp/requirements.txt)" in install
    assert 'cpu) pip install --index-url https://download.pytorch.org/whl/cpu "$torch_pin"' in install
    assert 'cuda) pip install "$torch_pin"' in install
    assert stages["worker-deps"].all("ARG") == ["TORCH_VARIANT=cpu"]
    # The web processes of the distributed mode never load the model: no torch in their image.
    assert "grep -v '^torch==' /tmp/requirements.txt" in stages["web-deps"].last("RUN")


def test_the_entrypoint_runs_the_apps_own_commands_and_queues():
    commands = entrypoint_commands()
    assert set(commands) == {"web", "inference-worker", "default-worker", "beat", "migrate"}
    asgi_module, application = settings.ASGI_APPLICATION.rsplit(".", 1)
    assert commands["web"].startswith("exec python -m daphne ")
    assert commands["web"].endswith(f'{asgi_module}:{application} "$@"')
    inference_queues = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert inference_queues == {"inference"}
    assert "exec python -m celery -A chatbot worker -Q inference " in commands["inference-worker"]
    default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
    assert f"exec python -m celery -A chatbot worker -Q {default_queue} " in commands["default-worker"]
    assert "exec python -m celery -A chatbot beat " in commands["beat"]
    assert commands["migrate"] == (
        'python manage.py migrate --noinput ; exec python manage.py ensure_demo_model "$@"'
    )


def test_a_web_process_of_the_distributed_mode_never_imports_torch():
    """What the web image leaves out: the pages, the sockets, the admin and the tasks load without it."""
    code = (
        "import sys, django; django.setup()\n"
        "from django.contrib import admin; admin.autodiscover()\n"
        "from django.urls import get_resolver; get_resolver().url_patterns\n"
        "import chatbot.asgi, chatbot.celery\n"
        "chatbot.celery.app.loader.import_default_modules()\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'torch'))\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "chatbot.settings",
        "DEBUG": "true",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.skipif(
    shutil.which("nginx") is None, reason="nginx is not installed (the proxy runs in its image)"
)
def test_the_proxy_configuration_is_valid_nginx(tmp_path):
    """The server block as the nginx image includes it (conf.d), checked by `nginx -t`."""
    main = nginx_main_conf(tmp_path, DOCKER_DIR / "nginx.conf")
    result = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(main)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
