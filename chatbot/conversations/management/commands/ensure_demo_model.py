from typing import Any

from django.conf import settings

from chatbot.conversations import engine
from chatbot.conversations.management.commands._script import ScriptCommand
from chatbot.conversations.management.commands.train_model import train_and_register

SAMPLE_DATA = settings.BASE_DIR / "inference" / "sample_data" / "shop_support.jsonl"


class Command(ScriptCommand):
    help = (
        "Train the demo model on the shop sample data, unless a model to serve exists already. "
        "Other options go to `python -m inference.train`."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        existing = engine.model_dir_to_serve()
        if existing is not None and existing.is_dir():
            self.stdout.write(f"Model {existing.name} is ready; nothing to train.")
            return
        self.stdout.write(f"No model under {settings.CHATBOT_MODEL_DIR} yet: training the demo model once.")
        version = train_and_register(
            ["--data", str(SAMPLE_DATA), "--preset", "demo", *options["script_args"]], activate=True
        )
        self.stdout.write(self.style.SUCCESS(f"Demo model {version.name} trained and active."))
