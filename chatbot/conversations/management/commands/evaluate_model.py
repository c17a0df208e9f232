from typing import Any

from django.core.management.base import CommandError

from chatbot.conversations import engine
from chatbot.conversations.management.commands._script import ScriptCommand, has_option
from chatbot.conversations.models import ModelVersion


class Command(ScriptCommand):
    help = (
        "Evaluate a model with inference.evaluate (default: the model being served) and keep the report "
        "in its ModelVersion's metrics. Every other option goes to `python -m inference.evaluate` "
        "(see its --help), e.g. --data ../shared/data/bitext/customer_support.csv --limit 500."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # Imported here: torch loads only for the commands that need it.
        from inference import evaluate

        script_args = list(options["script_args"])
        if not has_option(script_args, "--model"):
            served = engine.model_dir_to_serve()
            if served is None:
                raise CommandError("No model to evaluate: train one first, or pass --model DIR.")
            script_args += ["--model", str(served)]
        report = evaluate.main(script_args)
        version = ModelVersion.objects.filter(name=report["model_version"]).first()
        if version is not None:
            version.metrics = {**version.metrics, "evaluation": report}
            version.save(update_fields=["metrics"])
            self.stdout.write(self.style.SUCCESS(f"Report saved with model version {version.name}."))
