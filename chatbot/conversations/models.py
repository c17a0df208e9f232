"""Customers, their conversations, the messages in them, and the trained model versions.

Public ids (UUIDs) are what the browser sees; integer primary keys stay internal (task arguments, joins).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Customer(models.Model):
    """Someone chatting. Anonymous at first: the signed `chatbot_customer` cookie carries `public_id`."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_customers",
    )
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name or self.email or f"Customer {str(self.public_id)[:8]}"


class Conversation(models.Model):
    class Status(models.TextChoices):
        BOT = "bot", "Answered by the bot"
        WAITING_FOR_STAFF = "waiting_for_staff", "Waiting for staff"
        WITH_STAFF = "with_staff", "With staff"
        CLOSED = "closed", "Closed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="conversations")
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.BOT)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The staff queue: open conversations by status, most recently active first.
            models.Index(fields=["status", "-updated"], name="conversation_status_updated"),
            # Transcript filters and "this customer's conversations".
            models.Index(fields=["customer", "-created"], name="conversation_customer_created"),
        ]
        constraints = [
            # The socket serves "the current open conversation": two tabs racing to create it get one.
            models.UniqueConstraint(
                fields=["customer"], condition=~Q(status="closed"), name="one_open_conversation_per_customer"
            ),
        ]

    def __str__(self) -> str:
        return f"Conversation {str(self.public_id)[:8]} ({self.status})"

    @property
    def group_name(self) -> str:
        """The channel-layer group every socket showing this conversation joins."""
        return f"conversation.{self.public_id}"


class Message(models.Model):
    class Sender(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        BOT = "bot", "Bot"
        STAFF = "staff", "Staff"
        SYSTEM = "system", "System"

    class Vote(models.TextChoices):
        """The customer's thumbs on a bot reply."""

        UP = "up", "Helpful"
        DOWN = "down", "Not helpful"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(max_length=16, choices=Sender.choices)
    text = models.TextField()
    created = models.DateTimeField(default=timezone.now)
    # Made by the browser for each customer message: a resend with the same id is the same message.
    client_id = models.UUIDField(null=True, blank=True)
    # The staff member who wrote a staff message.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The customer message a bot (or system) message answers.
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )

    # How a bot reply was made; empty for every other sender.
    model_version = models.CharField(max_length=100, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    intent = models.CharField(max_length=100, blank=True)
    intent_probability = models.FloatField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    first_token_ms = models.PositiveIntegerField(null=True, blank=True)
    token_count = models.PositiveIntegerField(null=True, blank=True)

    # The customer's vote on a bot reply (empty: none), and when it was last cast.
    feedback = models.CharField(max_length=8, choices=Vote.choices, blank=True)
    feedback_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created", "id"]
        indexes = [
            models.Index(fields=["conversation", "created"], name="message_conversation_created"),
            models.Index(fields=["created"], name="message_created"),
            models.Index(fields=["sender", "created"], name="message_sender_created"),
            models.Index(fields=["intent"], name="message_intent"),
            models.Index(fields=["confidence"], name="message_confidence"),
            # Review filters ("has a thumbs-down") and analytics counts; most messages have no vote.
            models.Index(
                fields=["feedback", "conversation"], condition=~Q(feedback=""), name="message_feedback"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=Q(client_id__isnull=False),
                name="unique_client_id_per_conversation",
            ),
            # A redelivered reply task can never store a second reply to the same message.
            models.UniqueConstraint(
                fields=["reply_to"], condition=Q(sender="bot"), name="one_bot_reply_per_message"
            ),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=0.0, confidence__lte=1.0),
                name="confidence_between_0_and_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.text[:60]}"


class ModelVersion(models.Model):
    """A trained model directory (`<model root>/<version>/`); the active one answers customers."""

    name = models.CharField(max_length=100, unique=True)
    path = models.CharField(
        max_length=500, help_text="Model directory, absolute or relative to the model root."
    )
    is_active = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    metrics = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_model_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}{' (active)' if self.is_active else ''}"
