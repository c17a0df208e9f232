"""The /analytics/ page: who may see it, what it shows, and how it treats bad input."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chatbot.conversations.models import Message
from tests.chatbot.analytics.dataset import build_example

pytestmark = pytest.mark.django_db
MARCH = "/analytics/?from=2025-03-01&to=2025-03-03"


def test_an_anonymous_visitor_is_sent_to_the_sign_in_page(client, example):
    response = client.get(MARCH)
    assert response.status_code == 302
    assert (
        response.headers["Location"]
        == "/support/login/?next=/analytics/%3Ffrom%3D2025-03-01%26to%3D2025-03-03"
    )


def test_a_signed_in_customer_is_refused_and_sees_no_figure(client, customer_user, example):
    client.force_login(customer_user)
    response = client.get(MARCH)
    assert response.status_code == 403
    assert "neither support staff nor a transcript reviewer" in " ".join(response.text.split())
    assert "Conversations per day" not in response.text


@pytest.mark.parametrize("persona", ["staff", "reviewer", "admin_user"])
def test_staff_reviewers_and_admins_see_the_figures(client, example, persona, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(MARCH)
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    # Only staff members get the link to the console they may use.
    assert ('href="/support/"' in response.text) == (persona != "reviewer")


def test_the_page_shows_the_worked_out_numbers(client, staff, example):
    client.force_login(staff)
    text = re.sub(r"\s+", " ", client.get(MARCH).text)
    assert "1 March 2025 to 3 March 2025, days in UTC time." in text
    assert "<dt>Conversations</dt><dd>5</dd>" in text
    assert "<dt>Handed to staff</dt><dd>60 %" in text
    assert "<dt>First bot token</dt><dd>300 ms" in text and "95 % within 570 ms" in text
    assert "<dt>First staff reply</dt><dd>1 min 30 s" in text and "95 % within 1 min 57 s" in text
    assert "<dt>CSAT</dt><dd>3.50" in text
    assert "<dt>Unsure replies</dt><dd>42.9 %" in text  # 3 of 7
    assert '2 up</span> <span class="thumbs">2 down' in text
    assert "3 of 4 escalations" in text
    # The charts: an accessible SVG each, with the numbers in words.
    assert text.count('role="img"') == 7  # the per-day and intents charts twice: wide and narrow screens
    assert "5 conversations, the most (2) on 1 March 2025." in text
    assert "<code>v1</code>" in text and "<code>v2</code>" in text


def test_text_from_the_database_is_shown_as_text(client, staff, example):
    Message.objects.filter(intent="greeting").update(intent="<img src=x onerror=alert(1)>")
    client.force_login(staff)
    text = client.get(MARCH).text
    assert "<img src=x" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_a_bad_period_gets_its_error_and_no_figures(client, staff, example):
    client.force_login(staff)
    response = client.get("/analytics/?from=2025-03-05&to=2025-03-01")
    assert response.status_code == 400
    assert "The first day (5 March 2025) is after the last day (1 March 2025)." in response.text
    assert 'aria-invalid="true"' in response.text
    assert "Conversations per day" not in response.text


def test_bad_input_is_echoed_as_text(client, staff):
    client.force_login(staff)
    response = client.get("/analytics/", {"from": "<script>alert(1)</script>"})
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.text
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in response.text


def test_the_default_period_is_the_last_30_days(client, staff):
    client.force_login(staff)
    response = client.get("/analytics/")
    assert response.status_code == 200
    assert len(response.context["report"].per_day) == 30


def test_only_get_is_allowed(client, staff):
    client.force_login(staff)
    assert client.post("/analytics/").status_code == 405


def test_the_page_takes_the_same_number_of_queries_however_many_rows(client, staff, example):
    client.force_login(staff)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(MARCH).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(3):
        build_example()
    assert queries() == few <= 15
