"""A reviewer's verdict on one bot reply: good or bad, why, and what the bot should have said.

Corrections become training pairs (exports/training.py): the dialogue the model saw, the corrected reply,
and the intent. services.check_annotation holds the rules; docs/review.md explains them.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from chatbot.conversations.models import Message


class Annotation(models.Model):
    class Verdict(models.TextChoices):
        GOOD = "good", "Good"
        BAD = "bad", "Bad"

    # The reason tags, one column each: several may apply, and every one is a cheap filter or count on
    # both databases (a JSON list is not).
    REASONS = {
        "wrong_intent": "Wrong intent",
        "wrong_facts": "Wrong facts",
        "bad_tone": "Tone",
        "should_have_escalated": "Should have escalated",
    }

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="annotation")
    verdict = models.CharField(max_length=8, choices=Verdict.choices)
    wrong_intent = models.BooleanField(default=False)
    wrong_facts = models.BooleanField(default=False)
    bad_tone = models.BooleanField(default=False)
    should_have_escalated = models.BooleanField(default=False)
    # What the bot should have said, as a customer would read it; `{{Placeholders}}` are allowed.
    corrected_reply = models.TextField(blank=True)
    # The intent the training pair is labelled with when the bot's own intent was wrong.
    corrected_intent = models.CharField(max_length=100, blank=True)
    # The reviewer who last saved it.
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["verdict", "updated"], name="annotation_verdict_updated"),
            # The training export: corrections, oldest first, optionally since a date.
            models.Index(
                fields=["updated"], condition=~Q(corrected_reply=""), name="annotation_corrected_updated"
            ),
        ]
        constraints = [
            # A good reply needs no correction and has no reasons; services check it with readable errors.
            models.CheckConstraint(
                condition=Q(verdict="bad")
                | Q(
                    corrected_reply="",
                    wrong_intent=False,
                    wrong_facts=False,
                    bad_tone=False,
                    should_have_escalated=False,
                ),
                name="annotation_good_has_no_correction",
            ),
        ]
        permissions = [("export_transcripts", "Can export transcripts and training data")]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()} reply {self.message_id}"

    @property
    def reasons(self) -> list[str]:
        """The tags that apply, as their field names."""
        return [name for name in self.REASONS if getattr(self, name)]

    @property
    def reason_labels(self) -> list[str]:
        return [self.REASONS[name] for name in self.reasons]
