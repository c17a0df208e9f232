"""Who may do what with transcripts. Reviewers are superusers or members of "Transcript reviewers"
(reviewer_group.py); "Support staff" members with admin access may only read."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

User = AbstractBaseUser | AnonymousUser | None

READ_PERMISSION = "conversations.view_conversation"
ANNOTATE_PERMISSIONS = ("review.add_annotation", "review.change_annotation")
EXPORT_PERMISSION = "review.export_transcripts"


def _active(user: User) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def can_read_transcripts(user: User) -> bool:
    return _active(user) and user.has_perm(READ_PERMISSION)


def can_annotate(user: User) -> bool:
    return can_read_transcripts(user) and user.has_perms(ANNOTATE_PERMISSIONS)


def can_see_annotations(user: User) -> bool:
    return can_read_transcripts(user) and user.has_perm("review.view_annotation")


def can_export(user: User) -> bool:
    """Exports take customers' words out of the system: reviewers only, and every export is audited."""
    return can_read_transcripts(user) and user.has_perm(EXPORT_PERMISSION)
