"""The "Transcript reviewers" group and what it may do: read every conversation with its support
history in the admin, review (annotate) bot replies, and export transcripts and training data.

Superusers may do all of it anyway. The "Support staff" group can read conversations but neither annotate
nor export. Used by migration 0002 (with the historical models) and by tests that empty the database.
"""

from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q

REVIEWER_GROUP = "Transcript reviewers"
PERMISSIONS = [
    ("review", "view_annotation"),
    ("review", "add_annotation"),
    ("review", "change_annotation"),
    ("review", "export_transcripts"),
    ("conversations", "view_conversation"),
    ("conversations", "view_message"),
    ("conversations", "view_customer"),
    ("conversations", "view_modelversion"),
    ("support", "view_escalation"),
    ("support", "view_supportevent"),
    ("support", "view_internalnote"),
    ("support", "view_csatrating"),
]


def ensure_reviewer_group(*, group_model: Any, permission_model: Any) -> Any:
    """The group with (at least) its permissions, which must exist already."""
    wanted = reduce(or_, (Q(content_type__app_label=app, codename=code) for app, code in PERMISSIONS))
    found = list(permission_model.objects.filter(wanted))
    if len(found) != len(PERMISSIONS):
        have = {(p.content_type.app_label, p.codename) for p in found}
        raise LookupError(f"permissions missing: {sorted(set(PERMISSIONS) - have)}")
    group, _ = group_model.objects.get_or_create(name=REVIEWER_GROUP)
    group.permissions.add(*found)
    return group
