"""Escalations to staff and everything around them: the timeline of events, internal notes, canned
responses, the model's suggested replies, CSAT ratings, and the admin's overrides of the settings.

The conversation's own `status` (conversations.Conversation) is the state the bot and the customer
socket read; an Escalation is one hand-over episode of a conversation (escalated → claimed → resolved or
handed back), and SupportEvent rows are its timestamped history for the analytics of issue #5.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from chatbot.conversations.models import Conversation, Message
from chatbot.support.schedule import ScheduleError, parse_schedule, parse_timezone


def validate_schedule(value: str) -> None:
    try:
        parse_schedule(value)
    except ScheduleError as error:
        raise ValidationError(str(error)) from None


def validate_timezone(value: str) -> None:
    if value.strip():
        try:
            parse_timezone(value)
        except ScheduleError as error:
            raise ValidationError(str(error)) from None


def _fraction(**kwargs) -> models.FloatField:
    return models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)], **kwargs
    )


def _switch(help_text: str) -> models.BooleanField:
    return models.BooleanField(null=True, blank=True, help_text=help_text)


class SupportSettings(models.Model):
    """The admin's overrides (one row, pk 1). An empty field falls back to the environment's value;
    config.support_config() merges the two and is the only reader."""

    escalate_on_request = _switch("Customer asks for a person: the button, the words, the model's intent.")
    escalate_on_complaint = _switch("Complaint intent, or angry or abusive words.")
    escalate_on_low_confidence = _switch("The bot was unsure several replies in a row.")
    escalate_on_repetition = _switch("The customer repeats an earlier question.")
    low_confidence_threshold = _fraction(help_text="A reply below this confidence counts as unsure.")
    low_confidence_replies = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="Unsure replies in a row."
    )
    intent_probability = _fraction(
        help_text="The intent triggers need at least this intent probability from the model."
    )
    repetition_similarity = _fraction(help_text="How alike (0-1) two messages must be to count as a repeat.")
    timezone = models.CharField(
        max_length=64, blank=True, validators=[validate_timezone], help_text="IANA name, e.g. Europe/Berlin."
    )
    schedule = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_schedule],
        help_text="Support hours, e.g. 'mon-fri 09:00-17:00; sat 10:00-14:00', 'always' or 'never'.",
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "support settings"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="support_settings_singleton")]

    def __str__(self) -> str:
        return "Support settings"

    def save(self, *args, **kwargs) -> None:
        self.pk = 1
        super().save(*args, **kwargs)


class Escalation(models.Model):
    """One hand-over of a conversation to staff. Open while `ended` is empty (at most one per
    conversation); its assignee owns the conversation while the conversation is `with_staff`."""

    class Reason(models.TextChoices):
        CUSTOMER_BUTTON = "customer_button", "Pressed “Talk to a person”"
        CUSTOMER_REQUEST = "customer_request", "Asked for a person"
        LOW_CONFIDENCE = "low_confidence", "Bot unsure"
        COMPLAINT = "complaint", "Complaint"
        ANGRY_LANGUAGE = "angry_language", "Angry or abusive"
        REPEATED_QUESTION = "repeated_question", "Repeated question"

    class Priority(models.IntegerChoices):
        LOW = 1, "Low"
        NORMAL = 2, "Normal"
        HIGH = 3, "High"

    class Outcome(models.TextChoices):
        SOLVED = "solved", "Solved"
        NOT_SOLVED = "not_solved", "Not solved"
        FOLLOW_UP = "follow_up", "Needs follow-up"
        SPAM = "spam", "Spam or abuse"
        HANDED_BACK = "handed_back", "Handed back to the bot"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="escalations")
    reason = models.CharField(max_length=32, choices=Reason.choices)
    detail = models.CharField(max_length=300, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    trigger_message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="support_escalations",
    )
    escalated = models.DateTimeField(default=timezone.now)
    claimed = models.DateTimeField(null=True, blank=True)
    ended = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    # Left by the customer when nobody could answer at once (no staff online, outside hours).
    contact_email = models.EmailField(blank=True)
    contact_message = models.TextField(blank=True)
    contact_left = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-escalated"]
        indexes = [
            models.Index(fields=["escalated"], name="escalation_escalated"),
            models.Index(fields=["reason", "escalated"], name="escalation_reason_escalated"),
            models.Index(fields=["assignee", "ended"], name="escalation_assignee_ended"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"], condition=Q(ended__isnull=True), name="one_open_escalation"
            ),
        ]
        # The staff console's permission; the "Support staff" group holds it, superusers have it anyway.
        permissions = [("use_console", "Can use the staff console")]

    def __str__(self) -> str:
        return f"Escalation {str(self.public_id)[:8]} ({self.get_reason_display()})"


class SupportEvent(models.Model):
    """A timestamped change of an escalation's state, with who did it and why (issue #5 analytics:
    wait time = claimed - escalated, handling time = resolved - claimed)."""

    class Kind(models.TextChoices):
        ESCALATED = "escalated", "Escalated"
        CLAIMED = "claimed", "Claimed"
        TRANSFERRED = "transferred", "Transferred"
        RESOLVED = "resolved", "Resolved"
        HANDED_BACK = "handed_back", "Handed back to the bot"
        CONTACT_LEFT = "customer_left_contact", "Customer left contact details"

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="events")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="support_events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # Who acted: a staff member, or nobody (the customer or a trigger).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The staff member a transfer went to.
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The escalation reason, the resolution outcome, or a transfer's note.
    reason = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "id"]
        indexes = [
            models.Index(fields=["kind", "created"], name="support_event_kind_created"),
            models.Index(fields=["conversation", "created"], name="support_event_conv_created"),
            models.Index(fields=["escalation", "kind"], name="support_event_escalation_kind"),
            models.Index(fields=["actor", "created"], name="support_event_actor_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.created:%Y-%m-%d %H:%M}"


class InternalNote(models.Model):
    """A note staff write about a conversation. Its own table: nothing that serves customers reads it."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="internal_notes")
    escalation = models.ForeignKey(
        Escalation, null=True, blank=True, on_delete=models.SET_NULL, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "id"]
        indexes = [models.Index(fields=["conversation", "created"], name="note_conversation_created")]

    def __str__(self) -> str:
        return self.text[:60]


class CannedResponse(models.Model):
    """A ready answer staff insert by typing "/" and its shortcut in the console."""

    shortcut = models.SlugField(max_length=40, unique=True, help_text="Typed after “/” in the console.")
    title = models.CharField(max_length=100)
    text = models.TextField()
    is_active = models.BooleanField(default=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["shortcut"]

    def __str__(self) -> str:
        return f"/{self.shortcut}"

    def clean(self) -> None:
        if len(self.text.strip()) > settings.CHATBOT_MAX_MESSAGE_CHARS:
            raise ValidationError(
                {"text": f"At most {settings.CHATBOT_MAX_MESSAGE_CHARS} characters, like any message."}
            )


class SuggestedReply(models.Model):
    """The model's own answer to a customer message, offered to staff as an editable draft.

    The outcome measures the model; edited drafts (with the text staff sent) are training data.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT_AS_IS = "sent_as_is", "Sent as is"
        EDITED = "edited", "Edited, then sent"
        DISCARDED = "discarded", "Discarded"
        IGNORED = "ignored", "Ignored (superseded or the conversation ended)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="suggestions")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="suggestions")
    text = models.TextField()
    intent = models.CharField(max_length=100, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    model_version = models.CharField(max_length=100, blank=True)
    created = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    decided = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created", "id"]
        indexes = [models.Index(fields=["outcome", "created"], name="suggestion_outcome_created")]
        constraints = [
            models.UniqueConstraint(fields=["escalation", "message"], name="one_suggestion_per_message"),
        ]

    def __str__(self) -> str:
        return f"Suggestion for {self.message_id} ({self.outcome})"


class CsatRating(models.Model):
    """The customer's rating of a resolved conversation: 1-5 and an optional comment, one per conversation."""

    COMMENT_MAX_CHARS = 1000

    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="csat")
    escalation = models.ForeignKey(
        Escalation, null=True, blank=True, on_delete=models.SET_NULL, related_name="ratings"
    )
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(blank=True, max_length=COMMENT_MAX_CHARS)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["created"], name="csat_created")]
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="csat_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5"
