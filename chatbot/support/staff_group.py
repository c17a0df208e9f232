"""The "Support staff" group and what it may do: open the staff console, read conversations and the
support history in the admin (for members with admin access), and manage canned responses.

Used by migration 0002 (with the historical models) and by tests that empty the database.
"""

from typing import Any

STAFF_GROUP = "Support staff"
PERMISSIONS = [
    ("support", "use_console"),
    ("support", "view_escalation"),
    ("support", "view_supportevent"),
    ("support", "view_internalnote"),
    ("support", "view_suggestedreply"),
    ("support", "view_csatrating"),
    ("support", "view_cannedresponse"),
    ("support", "add_cannedresponse"),
    ("support", "change_cannedresponse"),
    ("conversations", "view_conversation"),
    ("conversations", "view_message"),
    ("conversations", "view_customer"),
]


def ensure_staff_group(*, group_model: Any, permission_model: Any) -> Any:
    """The group with exactly its permissions (which must exist already)."""
    group, _ = group_model.objects.get_or_create(name=STAFF_GROUP)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(
            permission_model.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return group
