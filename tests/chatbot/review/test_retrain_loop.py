"""The whole loop: a bad bot reply -> a reviewer's correction -> export_training_data -> train_model ->
the new model version is active and answers with the correction."""

import pytest
from django.core.management import call_command

from chatbot.conversations import engine
from chatbot.conversations.models import ModelVersion
from chatbot.customers.slots import business_slots
from chatbot.review import services
from chatbot.review.services import Review
from inference.data import read_jsonl
from tests.chatbot.review.factories import exchange, make_conversation
from tests.inference.factories import write_shop_jsonl

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

QUESTION = "do you sell gift cards"
CORRECTION = "Yes! {{Company Name}} gift cards are sold on our website."
# Memorising tiny training (tests/inference/factories.py `train_tiny`), through the real command.
TRAINING = [
    "--preset", "tiny", "--epochs", "60", "--batch-size", "6", "--learning-rate", "0.01",
    "--warmup-steps", "10", "--label-smoothing", "0", "--threads", "1", "--no-progress",
]  # fmt: skip


def test_review_correct_retrain_and_serve_the_new_version(tmp_path, settings, reviewer):
    settings.CHATBOT_MODEL_DIR = tmp_path / "models"
    old = ModelVersion.objects.create(name="20250101-000000-tiny", path=str(tmp_path / "old"), is_active=True)

    # 1. The bot answered a gift-card question with an order-tracking reply.
    conversation = make_conversation()
    wrong = exchange(
        conversation, QUESTION, "Your order is on its way.", intent="track_order", confidence=0.3
    )

    # 2. A reviewer marks it bad and writes what it should have said (with the profile's values filled
    #    in, as customers read replies: the export puts the placeholder back).
    company = business_slots(customer=conversation.customer)["Company Name"]
    services.do_review_reply(
        reviewer=reviewer,
        reply=wrong,
        review=Review(
            verdict="bad",
            reasons=frozenset({"wrong_intent", "wrong_facts"}),
            corrected_reply=CORRECTION.replace("{{Company Name}}", company),
            corrected_intent="gift_cards",
        ),
    )

    # 3. Export the corrections; the training reader reads them.
    corrections = tmp_path / "corrections.jsonl"
    call_command("export_training_data", "--output", str(corrections))
    [pair] = read_jsonl(corrections)
    assert (pair.message, pair.response, pair.intent) == (QUESTION, CORRECTION, "gift_cards")

    # 4. Retrain on the base data plus the corrections: the new version is registered and active.
    base = write_shop_jsonl(tmp_path / "shop.jsonl")
    call_command("train_model", "--data", str(base), "--data", str(corrections), *TRAINING)
    new = ModelVersion.objects.get(is_active=True)
    assert new != old and (settings.CHATBOT_MODEL_DIR / new.name).is_dir()
    assert "gift_cards" in new.metrics["model"]["intents"]

    # 5. The engine serves the new version, and it has learned the correction.
    from inference.serving import Turn

    engine.unload_engine()
    answer = engine.get_engine().reply(
        [Turn(role="customer", text=QUESTION)], slots={"Company Name": company}
    )
    assert answer.model_version == new.name
    assert answer.intent == "gift_cards"
    assert answer.text == CORRECTION.replace("{{Company Name}}", company)
