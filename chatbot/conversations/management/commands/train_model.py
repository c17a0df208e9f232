import json
from pathlib import Path
from typing import Any

from django.conf import settings

from chatbot.conversations.management.commands._script import ScriptCommand, has_option
from chatbot.conversations.models import ModelVersion
from chatbot.conversations.services import do_register_model_version


def train_and_register(script_args: list[str], *, activate: bool) -> ModelVersion:
    """Run `inference.train` (into CHATBOT_MODEL_DIR unless --model-root is given) and record the version."""
    # Imported here: torch loads only for the commands that train.
    from inference import train

    args = list(script_args)
    if not has_option(args, "--model-root"):
        args += ["--model-root", str(settings.CHATBOT_MODEL_DIR)]
    version_dir = Path(train.main(args)).resolve()
    metrics_file = version_dir / "metrics.json"
    metrics = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.exists() else {}
    return do_register_model_version(
        name=version_dir.name, path=str(version_dir), metrics=metrics, activate=activate
    )


class Command(ScriptCommand):
    help = (
        "Train a reply model with inference.train, register it as a ModelVersion and make it the active one. "
        "Every other option goes to `python -m inference.train` (see its --help), e.g. "
        "--data ../shared/data/bitext/customer_support.csv --preset small."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--no-activate", action="store_true", help="register the new version without serving it yet"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        version = train_and_register(options["script_args"], activate=not options["no_activate"])
        state = "active: it answers customers now" if version.is_active else "registered, not active"
        self.stdout.write(self.style.SUCCESS(f"Model version {version.name} {state}."))
