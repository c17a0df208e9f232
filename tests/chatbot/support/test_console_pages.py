"""The console's pages: sign-in required, the "Support staff" group (or an admin) required; the group
made by the migration; `create_staff_user`."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from chatbot.support.staff_group import PERMISSIONS, STAFF_GROUP
from tests.chatbot.support.factories import PASSWORD

pytestmark = pytest.mark.django_db


def console_config_of(response) -> dict:
    match = re.search(
        r'<script id="console-config" type="application/json">(.*?)</script>', response.text, re.S
    )
    assert match, "the console page must carry its configuration"
    return json.loads(match.group(1))


def test_an_anonymous_visitor_is_sent_to_the_sign_in_page(client):
    response = client.get("/support/")
    assert (response.status_code, response.headers["Location"]) == (302, "/support/login/?next=/support/")


def test_a_signed_in_user_outside_the_group_is_refused(client, outsider):
    client.force_login(outsider)
    response = client.get("/support/")
    assert response.status_code == 403
    assert "not a member of the support team" in response.text
    assert "console-config" not in response.text


def test_staff_get_the_console_with_its_configuration(client, staff):
    client.force_login(staff)
    response = client.get("/support/")
    assert response.status_code == 200
    assert "support/console.html" in [t.name for t in response.templates]
    assert console_config_of(response) == {
        "wsPath": "/ws/support/",
        "protocol": 1,
        "maxMessageChars": 2000,
        "maxNoteChars": 4000,
        "companyName": "Northwind Outfitters",
        "me": {"id": staff.pk, "name": "Dana Scully"},
    }
    assert response.headers["X-Frame-Options"] == "DENY"


def test_an_admin_needs_no_group(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/support/").status_code == 200


def test_staff_sign_in_on_the_console_page_and_land_in_the_console(client, staff):
    assert client.get("/support/login/").status_code == 200
    refused = client.post("/support/login/", {"username": "dana", "password": "wrong"})
    assert refused.status_code == 200 and "Please enter a correct username and password" in refused.text
    response = client.post("/support/login/?next=/support/", {"username": "dana", "password": PASSWORD})
    assert (response.status_code, response.headers["Location"]) == (302, "/support/")
    assert client.get("/support/login/").headers["Location"] == "/support/"  # already signed in
    assert client.post("/support/logout/").headers["Location"] == "/support/login/"
    assert client.get("/support/").status_code == 302


def test_the_console_links_to_the_analytics_page_staff_may_open(client, staff):
    client.force_login(staff)
    assert 'href="/analytics/"' in client.get("/support/").text
    assert client.get("/analytics/").status_code == 200


def test_the_migration_made_the_support_staff_group_with_its_permissions():
    group = Group.objects.get(name=STAFF_GROUP)
    granted = {
        (p.content_type.app_label, p.codename) for p in group.permissions.select_related("content_type")
    }
    assert granted == set(PERMISSIONS)


def test_create_staff_user_makes_a_group_member_who_can_use_the_console(monkeypatch, client):
    monkeypatch.setenv("NEW_STAFF_PASSWORD", PASSWORD)
    call_command("create_staff_user", "erin", "--first-name", "Erin", "--password-env", "NEW_STAFF_PASSWORD")
    erin = get_user_model().objects.get(username="erin")
    assert (erin.first_name, erin.is_staff, erin.has_perm("support.use_console")) == ("Erin", False, True)
    assert client.login(username="erin", password=PASSWORD)
    assert client.get("/support/").status_code == 200

    call_command("create_staff_user", "erin", "--admin-site")  # an existing user keeps the password
    erin.refresh_from_db()
    assert erin.is_staff and erin.check_password(PASSWORD)


def test_create_staff_user_refuses_a_weak_or_missing_password(monkeypatch):
    monkeypatch.setenv("WEAK", "12345")
    with pytest.raises(CommandError, match="too short"):
        call_command("create_staff_user", "frank", "--password-env", "WEAK")
    with pytest.raises(CommandError, match="UNSET_VARIABLE is empty or unset"):
        call_command("create_staff_user", "frank", "--password-env", "UNSET_VARIABLE")
    assert not get_user_model().objects.filter(username="frank").exists()


def test_admins_override_the_settings_on_one_page_that_shows_the_defaults(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/admin/support/supportsettings/", follow=True)
    assert response.redirect_chain == [("/admin/support/supportsettings/1/change/", 302)]
    assert "Default (CHATBOT_LOW_CONFIDENCE_THRESHOLD): 0.2." in response.text
    assert "Use the default" in response.text
    form = {name: "" for name in ("low_confidence_threshold", "low_confidence_replies", "intent_probability")}
    form |= {
        "escalate_on_request": "unknown",
        "escalate_on_complaint": "false",
        "escalate_on_low_confidence": "unknown",
    }
    form |= {"escalate_on_repetition": "unknown", "repetition_similarity": "", "timezone": "Europe/Berlin"}
    refused = client.post("/admin/support/supportsettings/1/change/", {**form, "schedule": "weekdays 9-5"})
    assert refused.status_code == 200 and "days are mon, tue" in refused.text
    client.post("/admin/support/supportsettings/1/change/", {**form, "schedule": "mon-fri 09:00-17:00"})
    from chatbot.support.config import support_config

    config = support_config()
    assert (config.escalate_on_complaint, config.timezone.key, config.schedule.describe()) == (
        False,
        "Europe/Berlin",
        "Mon–Fri 09:00–17:00",
    )
    assert config.escalate_on_request is True  # "use the default" kept the environment's value
