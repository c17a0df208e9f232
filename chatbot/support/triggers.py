"""When the bot hands a conversation to people: the escalation triggers, as pure functions of text and
numbers. services.py feeds them the conversation and the effective settings (config.py).

The pure functions come first; the two functions at the end apply them to a stored message with the
settings in effect. Checked on each customer message, before the bot answers (docs/support.md, "Triggers"):
* the customer asks for a person in words (REQUEST_PATTERNS);
* angry or abusive language (ANGRY_WORDS, ANGRY_PHRASES, or shouting), or a complaint in words
  (COMPLAINT_PHRASES);
* the customer repeats an earlier question of this conversation (normalised text equal or similar).
Checked on each bot reply, once it is stored:
* the model's intent is `contact_human_agent` (asks for a person) or `complaint`;
* the model's confidence was below the threshold for N replies in a row.
"""

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from chatbot.conversations.models import Message
from chatbot.support import selectors
from chatbot.support.config import support_config
from chatbot.support.models import Escalation

Reason = Escalation.Reason

# Intents of the model (inference/sample_data) that hand the conversation over.
REQUEST_INTENT = "contact_human_agent"
COMPLAINT_INTENT = "complaint"

# Asking for a person in words. Deliberately narrow: "agent" alone in a sentence ("my travel agent")
# must not escalate, so single words count only when they are the whole message.
REQUEST_PATTERNS = [
    re.compile(p)
    for p in (
        r"\b(talk|speak|chat)\s+(to|with)\s+(a|an|some|the|your)?\s*(real\s+|live\s+)?"
        r"(human|person|people|agent|representative|rep|someone|somebody|operator|staff|manager|supervisor)\b",
        r"\b(real|live|actual)\s+(person|human|agent|people)\b",
        r"\bhuman\s+(agent|being|support|please)\b",
        r"\b(connect|transfer|put)\s+me\s+(through\s+)?(to|with)\s+(a\s+|an\s+|your\s+)?"
        r"(human|person|agent|someone|somebody|customer (service|support)|support|staff|representative"
        r"|operator)\b",
        r"\b(talk|speak|chat)\s+(to|with)\s+(one\s+of\s+|someone\s+(from|in|on)\s+)?(your|the)\s+"
        r"(team|staff|people|colleagues?)\b",
        r"\b(anyone|someone|somebody)\s+real\b",
        r"\b(want|need)\s+(to\s+(talk|speak)\s+to\s+)?(a|an)\s+(real\s+)?(human|person|agent)\b",
        r"\b(do\s*n[o']?t|do not)\s+want\s+(to\s+(talk|speak|chat)\s+(to|with)\s+)?"
        r"(a\s+|the\s+)?(bot|robot|machine)\b",
        r"\b(get|give)\s+me\s+(a\s+|an\s+)?(human|person|agent|someone|somebody|manager|supervisor)\b",
        r"\b(a|any|an)\s+(person|human|agent)\s+i\s+(can|could)\s+(talk|speak|chat)\b",
        r"^(a\s+)?(human|agent|operator|representative|person)(\s+please)?$",
    )
]

# Angry or abusive words (whole words, after normalising). Kept short and documented in
# docs/support.md; complaints the words miss are usually caught by the model's `complaint` intent.
ANGRY_WORDS = frozenset(
    {
        *("fuck", "fucking", "fucked", "shit", "bullshit", "crap", "damn", "bastard", "asshole"),
        *("idiot", "idiots", "moron", "useless", "ridiculous", "unacceptable", "disgusting"),
        *("outrageous", "pathetic", "scam", "scammers", "fraud", "ripoff", "furious", "livid", "appalling"),
    }
)
ANGRY_PHRASES = [
    re.compile(p)
    for p in (
        r"\brip\s+off\b",
        r"\b(stupid|dumb|worst)\s+(bot|robot|machine|assistant|service|company|support|shop|experience)\b",
        r"\b(terrible|awful|horrible)\s+(service|company|support)\b",
        r"\b(my|a)\s+lawyer\b",
        r"\b(i\s+will|i'?ll|going\s+to)\s+(sue|report\s+you)\b",
        r"\bwaste\s+of\s+(time|money)\b",
        r"\bfed\s+up\b",
    )
]
# A complaint in words (not necessarily angry): the model's `complaint` intent catches others.
COMPLAINT_PHRASES = [
    re.compile(p)
    for p in (
        r"\bcomplain(t|ts|ing)?\b",
        r"\b(not|never)\s+(at\s+all\s+)?(happy|satisfied)\b",
        r"\b(unhappy|dissatisfied|disappointed)\b",
        r"\b(terrible|awful|poor|bad|horrible)\s+(quality|product)\b",
    )
]
# Shouting: a message this long, mostly capital letters, with an exclamation mark.
SHOUT_MIN_LETTERS = 12
SHOUT_UPPER_SHARE = 0.8

# Messages shorter than this (normalised) never count as a repetition: "yes", "ok thanks", "hello".
REPETITION_MIN_CHARS = 10


@dataclass(frozen=True)
class Trigger:
    """Why a conversation goes to staff: a reason code (Escalation.Reason) and a detail for staff."""

    reason: str
    detail: str


def normalise(text: str) -> str:
    """Lower case, compatibility-folded, apostrophes kept, other punctuation as spaces, single spaces."""
    folded = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")
    return " ".join(re.sub(r"[^\w']+", " ", folded).split())


def _first_match(patterns: Sequence[re.Pattern], normalised: str) -> str | None:
    for pattern in patterns:
        match = pattern.search(normalised)
        if match:
            return match.group(0)
    return None


def asks_for_a_person(text: str) -> str | None:
    """The words that ask for a person, or None."""
    return _first_match(REQUEST_PATTERNS, normalise(text))


def sounds_angry(text: str) -> str | None:
    """What makes the message angry or abusive (a word, a phrase, "shouting"), or None."""
    normalised = normalise(text)
    for word in normalised.split():
        if word.strip("'") in ANGRY_WORDS:
            return word.strip("'")
    phrase = _first_match(ANGRY_PHRASES, normalised)
    if phrase is not None:
        return phrase
    letters = [char for char in text if char.isalpha()]
    shouting = len(letters) >= SHOUT_MIN_LETTERS and "!" in text
    if shouting and sum(char.isupper() for char in letters) / len(letters) >= SHOUT_UPPER_SHARE:
        return "shouting"
    return None


def complains(text: str) -> str | None:
    """The words that make the message a complaint, or None."""
    return _first_match(COMPLAINT_PHRASES, normalise(text))


def repeats(text: str, earlier: Sequence[str], *, similarity: float) -> str | None:
    """The earlier message that `text` repeats, or None.

    A repetition is the same normalised text, or text at least `similarity` alike (difflib's ratio of
    characters) with the same numbers in it: "order 1234" and "order 5678" are different questions.
    """
    current = normalise(text)
    if len(current) < REPETITION_MIN_CHARS:
        return None
    numbers = re.findall(r"\d+", current)
    for previous in reversed(earlier):
        candidate = normalise(previous)
        if len(candidate) < REPETITION_MIN_CHARS or re.findall(r"\d+", candidate) != numbers:
            continue
        if candidate == current or difflib.SequenceMatcher(None, candidate, current).ratio() >= similarity:
            return previous
    return None


def all_unsure(confidences: Sequence[float | None], *, threshold: float, replies: int) -> bool:
    """The last `replies` bot replies (newest first) all had a confidence below `threshold`."""
    recent = list(confidences[:replies])
    return len(recent) == replies and all(value is not None and value < threshold for value in recent)


# --- Applied to a conversation --------------------------------------------------------------------


def customer_message_trigger(message: Message) -> Trigger | None:
    """The trigger a new customer message fires, checked before the bot answers it."""
    config = support_config()
    if config.escalate_on_request and (words := asks_for_a_person(message.text)):
        return Trigger(Reason.CUSTOMER_REQUEST, f"Asked in words: “{words}”")
    if config.escalate_on_complaint and (what := sounds_angry(message.text)):
        return Trigger(Reason.ANGRY_LANGUAGE, f"Angry or abusive: “{what}”")
    if config.escalate_on_complaint and (what := complains(message.text)):
        return Trigger(Reason.COMPLAINT, f"Complaint in words: “{what}”")
    if config.escalate_on_repetition:
        earlier = selectors.customer_messages_since(conversation=message.conversation, before=message)
        repeated = repeats(message.text, earlier, similarity=config.repetition_similarity)
        if repeated is not None:
            return Trigger(Reason.REPEATED_QUESTION, f"Repeats an earlier message: “{repeated[:120]}”")
    return None


def bot_reply_trigger(message: Message) -> Trigger | None:
    """The trigger a stored bot reply fires: its intent, or one unsure reply too many."""
    config = support_config()
    sure_of_intent = (message.intent_probability or 0.0) >= config.intent_probability
    if sure_of_intent and config.escalate_on_request and message.intent == REQUEST_INTENT:
        return Trigger(
            Reason.CUSTOMER_REQUEST, f"Model intent {REQUEST_INTENT} ({message.intent_probability:.2f})"
        )
    if sure_of_intent and config.escalate_on_complaint and message.intent == COMPLAINT_INTENT:
        return Trigger(
            Reason.COMPLAINT, f"Model intent {COMPLAINT_INTENT} ({message.intent_probability:.2f})"
        )
    if config.escalate_on_low_confidence:
        replies = config.low_confidence_replies
        recent = selectors.recent_bot_confidences(conversation=message.conversation, limit=replies)
        if all_unsure(recent, threshold=config.low_confidence_threshold, replies=replies):
            return Trigger(
                Reason.LOW_CONFIDENCE,
                f"{replies} replies in a row below {config.low_confidence_threshold:.2f} confidence "
                f"(last {recent[0]:.2f})",
            )
    return None
