"""The chat pages. Each one sets the customer's identity cookie the socket needs."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from chatbot.conversations import identity, readiness
from chatbot.conversations.protocol import MAX_CSAT_COMMENT_CHARS, PROTOCOL_VERSION
from chatbot.customers.business import business_profile
from chatbot.customers.greeting import greeting
from chatbot.support.config import support_config


def chat_config() -> dict[str, Any]:
    """What the JS client needs to know; rendered with json_script (id "chat-config")."""
    return {
        "wsPath": "/ws/chat/",
        "protocol": PROTOCOL_VERSION,
        "maxMessageChars": settings.CHATBOT_MAX_MESSAGE_CHARS,
        "replyTimeoutSeconds": settings.CHATBOT_REPLY_TIMEOUT_SECONDS,
        "companyName": business_profile().company_name,
        # The "Talk to a person" button (docs/support.md): shown unless an admin switched requests off.
        "talkToPerson": support_config().escalate_on_request,
        "maxCsatCommentChars": MAX_CSAT_COMMENT_CHARS,
    }


# The rating form's stars (docs/support.md): value and what it means.
CSAT_SCALE = [(1, "very poor"), (2, "poor"), (3, "okay"), (4, "good"), (5, "excellent")]


def _render_with_identity(request: HttpRequest, template: str) -> HttpResponse:
    customer, _ = identity.get_or_create_customer(request)
    context = {"chat_config": chat_config(), "csat_scale": CSAT_SCALE, "greeting": greeting(customer)}
    response = render(request, template, context)
    identity.set_customer_cookie(response, request=request, customer=customer)
    return response


@require_GET
def chat_page(request: HttpRequest) -> HttpResponse:
    return _render_with_identity(request, "chat/page.html")


@require_GET
@xframe_options_exempt
def embed(request: HttpRequest) -> HttpResponse:
    """The chat inside the widget's iframe, on other sites' pages: frameable on purpose."""
    return _render_with_identity(request, "chat/embed.html")


@require_GET
def widget_demo(request: HttpRequest) -> HttpResponse:
    """A page that pastes the widget snippet, as a customer's own site would."""
    return render(request, "chat/widget_demo.html", {"chat_config": chat_config()})


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness only: the process answers HTTP. It touches neither the database nor the model."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
@never_cache
async def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness (docs/deployment.md): 200 when every check passes, else 503 with each check's reason."""
    report = await readiness.check_readiness()
    return JsonResponse(report.as_dict(), status=200 if report.ready else 503)
