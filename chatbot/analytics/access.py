"""Who may see the analytics page: support staff, transcript reviewers and superusers (issue #5).

Customers with a user account, and users in neither group, may not: the figures describe every
customer's conversations.
"""

from django.contrib.auth.models import AbstractBaseUser

from chatbot.review.reviewer_group import REVIEWER_GROUP
from chatbot.support.selectors import is_staff_member


def can_view_analytics(user: AbstractBaseUser | None) -> bool:
    """An active staff member (the console's permission; superusers have every permission) or an active
    member of the reviewers group."""
    if is_staff_member(user):
        return True
    return bool(
        user and user.is_authenticated and user.is_active and user.groups.filter(name=REVIEWER_GROUP).exists()
    )
