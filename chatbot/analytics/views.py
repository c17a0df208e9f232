"""The analytics page (staff, reviewers, admins). It reads the period from the query string, asks the
selectors for the figures and charts.py for the drawings; nothing here counts anything."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from chatbot.analytics import charts, selectors
from chatbot.analytics.access import can_view_analytics
from chatbot.analytics.period import PRESET_DAYS, PeriodForm, last_days
from chatbot.support.config import support_config
from chatbot.support.selectors import is_staff_member


@require_GET
@login_required
def analytics_page(request: HttpRequest) -> HttpResponse:
    if not can_view_analytics(request.user):
        return render(request, "analytics/forbidden.html", status=403)
    config = support_config()
    today = timezone.now().astimezone(config.timezone).date()
    form = PeriodForm(request.GET, today=today, timezone=config.timezone)
    context = {
        "form": form,
        "presets": [(days, last_days(days, today=today, timezone=config.timezone)) for days in PRESET_DAYS],
        "show_console_link": is_staff_member(request.user),
    }
    if not form.is_valid():
        return render(request, "analytics/page.html", context, status=400)
    report = selectors.analytics_report(
        period=form.period, low_confidence_threshold=config.low_confidence_threshold
    )
    context["report"] = report
    context["charts"] = {
        "per_day": charts.conversations_per_day(report.per_day),
        "per_day_narrow": charts.conversations_per_day(report.per_day, width=charts.HALF),
        "outcomes": charts.outcome_share(report.outcomes),
        "reasons": charts.escalation_reasons(report.outcomes),
        "csat": charts.csat_distribution(report.csat),
        "intents": charts.top_intents(report.intents),
        "intents_narrow": charts.top_intents(report.intents, width=charts.HALF),
    }
    return render(request, "analytics/page.html", context)
