"""Reviewing bot replies: `access_*` fetches with its permission check, `check_*` validates, `do_*` stores.

The annotation rules (docs/review.md):
* the verdict is "good" or "bad";
* a good reply has no reasons and no correction (there is nothing to fix);
* a bad reply has at least one reason: every "bad" says why, so reviews can be counted by reason;
  the corrected reply is optional (a reviewer may know a reply is wrong without knowing the answer);
* a corrected reply differs from the bot's, fits the chat's message limit and, measured with the serving
  model's tokenizer, what training keeps (limits.py);
* a corrected intent is a label like `track_order`, only for replies tagged "Wrong intent"; one is
  required when such a reply gets a correction, since the training pair is labelled with it.
"""

import re
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from chatbot.conversations.models import Message
from chatbot.customers.slots import business_slots
from chatbot.review import permissions
from chatbot.review.exports.text import export_text
from chatbot.review.limits import correction_limits
from chatbot.review.models import Annotation

INTENT_PATTERN = re.compile(r"[a-z0-9_]+")
INTENT_MAX_CHARS = Annotation._meta.get_field("corrected_intent").max_length


@dataclass(frozen=True)
class Review:
    """What a reviewer submitted for one reply, before validation."""

    verdict: str
    reasons: frozenset[str]
    corrected_reply: str = ""
    corrected_intent: str = ""


def access_reviewable_reply(*, user: AbstractBaseUser, conversation_id: int, message_id: int) -> Message:
    """The bot reply `message_id` of conversation `conversation_id`, if `user` may annotate it.

    Raises PermissionDenied for someone who may not annotate, Http404 for no such bot reply there.
    """
    if not permissions.can_annotate(user):
        raise PermissionDenied("Only transcript reviewers can review replies.")
    reply = (
        Message.objects.select_related("conversation__customer", "annotation")
        .filter(pk=message_id, conversation_id=conversation_id, sender=Message.Sender.BOT)
        .first()
    )
    if reply is None:
        raise Http404("No such bot reply in this conversation.")
    return reply


def check_review(*, reply: Message, review: Review) -> Review:
    """The review cleaned (texts trimmed), or ValidationError with a message per field."""
    errors: dict[str, list[str]] = {}
    corrected_reply = review.corrected_reply.strip()
    corrected_intent = review.corrected_intent.strip()
    unknown = review.reasons - set(Annotation.REASONS)
    if unknown:
        errors.setdefault("reasons", []).append(f"Unknown reasons: {', '.join(sorted(unknown))}.")
    if review.verdict not in Annotation.Verdict.values:
        errors.setdefault("verdict", []).append("Choose whether the reply was good or bad.")
    elif review.verdict == Annotation.Verdict.GOOD:
        if review.reasons:
            errors.setdefault("reasons", []).append("A good reply has no reasons: mark it bad instead.")
        if corrected_reply:
            errors.setdefault("corrected_reply", []).append(
                "A good reply needs no correction: mark it bad to correct it."
            )
    elif not review.reasons:
        errors.setdefault("reasons", []).append("Say why the reply was bad: tick at least one reason.")

    if corrected_reply:
        errors.update(_correction_errors(reply=reply, text=corrected_reply))
    if corrected_intent:
        if "wrong_intent" not in review.reasons:
            errors.setdefault("corrected_intent", []).append(
                "A corrected intent is only for replies tagged “Wrong intent”."
            )
        elif len(corrected_intent) > INTENT_MAX_CHARS or not INTENT_PATTERN.fullmatch(corrected_intent):
            errors.setdefault("corrected_intent", []).append(
                f"An intent is lower-case letters, digits and underscores (like track_order), "
                f"at most {INTENT_MAX_CHARS} characters."
            )
        elif corrected_intent == reply.intent:
            errors.setdefault("corrected_intent", []).append("That is the bot's own intent.")
    elif corrected_reply and "wrong_intent" in review.reasons:
        errors.setdefault("corrected_intent", []).append(
            "The intent was wrong: give the right one, the corrected reply is trained with it."
        )
    elif corrected_reply and not reply.intent:
        errors.setdefault("corrected_intent", []).append(
            "The bot recorded no intent for this reply: give one, the corrected reply is trained with it."
        )
    if errors:
        raise ValidationError(errors)
    return Review(
        verdict=review.verdict,
        reasons=review.reasons,
        corrected_reply=corrected_reply,
        corrected_intent=corrected_intent,
    )


def _correction_errors(*, reply: Message, text: str) -> dict[str, list[str]]:
    if text == reply.text.strip():
        return {
            "corrected_reply": ["The correction is the bot's reply unchanged: edit it, or leave it empty."]
        }
    limits = correction_limits()
    if len(text) > limits.max_chars:
        return {
            "corrected_reply": [
                f"The correction is {len(text)} characters long; a reply may have at most {limits.max_chars}."
            ]
        }
    if limits.count_pieces is not None and limits.max_pieces is not None:
        # Measured as training will see it, with the placeholders back in.
        slots = business_slots(customer=reply.conversation.customer)
        pieces = limits.count_pieces(export_text(text, placeholders_for=slots))
        if pieces > limits.max_pieces:
            return {
                "corrected_reply": [
                    f"The correction is too long for the model: {pieces} tokens, and training keeps at most "
                    f"{limits.max_pieces} (model {limits.model_version}). Shorten it."
                ]
            }
    return {}


def do_review_reply(*, reviewer: AbstractBaseUser, reply: Message, review: Review) -> Annotation:
    """Validate and store `reviewer`'s review of `reply`, replacing an earlier one (by anyone).

    All or nothing: on a ValidationError nothing is stored. The reviewer and time are those of the
    latest save; `created` keeps the first.
    """
    review = check_review(reply=reply, review=review)
    values = {
        "verdict": review.verdict,
        **{name: name in review.reasons for name in Annotation.REASONS},
        "corrected_reply": review.corrected_reply,
        "corrected_intent": review.corrected_intent,
        "reviewer": reviewer,
        "updated": timezone.now(),
    }
    with transaction.atomic():
        annotation, _ = Annotation.objects.update_or_create(message=reply, defaults=values)
    return annotation
