"""The staff console page and its sign-in. Staff act through the console's socket (consumers.py);
these views only render the page, which carries its configuration (json_script "console-config")."""

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from chatbot.conversations.protocol import PROTOCOL_VERSION
from chatbot.support import selectors
from chatbot.support.protocol import MAX_NOTE_CHARS, staff_name


def console_config(request: HttpRequest) -> dict[str, Any]:
    return {
        "wsPath": "/ws/support/",
        "protocol": PROTOCOL_VERSION,
        "maxMessageChars": settings.CHATBOT_MAX_MESSAGE_CHARS,
        "maxNoteChars": MAX_NOTE_CHARS,
        "companyName": settings.CHATBOT_COMPANY_NAME,
        "me": {"id": request.user.pk, "name": staff_name(request.user)},
    }


@require_GET
@login_required
def console(request: HttpRequest) -> HttpResponse:
    if not selectors.is_staff_member(request.user):
        # Signed in, but not support staff: say so instead of bouncing back to the sign-in page.
        return render(request, "support/forbidden.html", status=403)
    return render(request, "support/console.html", {"console_config": console_config(request)})


class StaffLoginView(auth_views.LoginView):
    template_name = "support/login.html"
    redirect_authenticated_user = True
    extra_context = {"company_name": settings.CHATBOT_COMPANY_NAME}


class StaffLogoutView(auth_views.LogoutView):
    next_page = "support-login"
