"""Indexes for the transcript review list (chatbot/review/selectors.py), created on the database only.

* conversation_created: the list's default order (newest first) and its date-range filter;
* message_model_version, message_intent_conversation, message_confidence_conversation: the model
  version, intent and low-confidence filters. Each holds the conversation id too, so PostgreSQL finds
  the matching conversations from the index alone (an index-only scan), and only the rows that have a
  value (bot replies) are in it. The first two also give the filters' choices;
* message_text_search, PostgreSQL only: a GIN index on the text's tsvector, for the full-text search.
  Its expression must stay the one the search queries (`SearchVector("text", config="english")`),
  or PostgreSQL cannot use it. SQLite searches with LIKE and gets no index.

They live outside the models' state (the models module belongs to the chat; a PostgreSQL-only index
cannot be declared in Meta), so `makemigrations` neither sees nor removes them. On PostgreSQL they are
built CONCURRENTLY: migrating a live database with a million messages does not block the chat.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations, models
from django.db.models import Q

SEARCH_CONFIG = "english"  # chatbot.review.selectors.SEARCH_CONFIG


def _indexes(schema_editor):
    indexes = [
        ("Conversation", models.Index(fields=["created"], name="conversation_created")),
        (
            "Message",
            models.Index(
                fields=["model_version", "conversation"],
                condition=~Q(model_version=""),
                name="message_model_version",
            ),
        ),
        (
            "Message",
            models.Index(
                fields=["intent", "conversation"], condition=~Q(intent=""), name="message_intent_conversation"
            ),
        ),
        (
            "Message",
            models.Index(
                fields=["confidence", "conversation"],
                condition=Q(confidence__isnull=False),
                name="message_confidence_conversation",
            ),
        ),
    ]
    if schema_editor.connection.vendor == "postgresql":
        search = GinIndex(SearchVector("text", config=SEARCH_CONFIG), name="message_text_search")
        indexes.append(("Message", search))
    return indexes


def _options(schema_editor):
    return {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}


def add_indexes(apps, schema_editor):
    for model_name, index in _indexes(schema_editor):
        schema_editor.add_index(apps.get_model("conversations", model_name), index, **_options(schema_editor))


def remove_indexes(apps, schema_editor):
    for model_name, index in _indexes(schema_editor):
        schema_editor.remove_index(apps.get_model("conversations", model_name), index, **_options(schema_editor))


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("conversations", "0003_message_feedback")]

    operations = [migrations.RunPython(add_indexes, remove_indexes)]
