"""Support settings: the schedule syntax, hours in the support timezone, environment defaults with admin
overrides, presence expiry, and start-up validation of the environment."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from chatbot.support import presence
from chatbot.support.config import OVERRIDABLE, support_config
from chatbot.support.models import SupportSettings
from chatbot.support.schedule import ScheduleError, parse_schedule, parse_timezone
from tests.chatbot.test_settings import load_settings

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


@pytest.mark.parametrize(
    ("schedule", "moment", "open_"),
    [
        ("mon-fri 09:00-17:00", "2026-12-07 09:00", True),  # a Monday, at opening
        ("mon-fri 09:00-17:00", "2026-12-07 16:59", True),
        ("mon-fri 09:00-17:00", "2026-12-07 17:00", False),  # closing time is closed
        ("mon-fri 09:00-17:00", "2026-12-12 10:00", False),  # Saturday
        ("mon-fri 09:00-17:00; sat 10:00-14:00", "2026-12-12 10:00", True),
        ("daily 08:00-12:00 13:00-18:00", "2026-12-13 12:30", False),  # the lunch break
        ("fri-mon 20:00-24:00", "2026-12-13 23:59", True),  # a range of days that wraps round the week
        ("fri-mon 20:00-24:00", "2026-12-09 23:00", False),  # Wednesday
        ("always", "2026-12-13 03:00", True),
        ("", "2026-12-13 03:00", True),
        ("never", "2026-12-07 12:00", False),
    ],
)
def test_the_schedule_says_when_support_is_open(schedule, moment, open_):
    assert parse_schedule(schedule).is_open(at(moment)) is open_


@pytest.mark.parametrize(
    ("schedule", "problem"),
    [
        ("weekdays 09:00-17:00", "days are mon"),
        ("mon-fri", "expected days then"),
        ("mon-fri 9-17", "HH:MM-HH:MM"),
        ("mon-fri 17:00-09:00", "end after it starts"),
        ("mon 25:00-26:00", "not a time of day"),
        ("mon 09:00-12:00 11:00-13:00", "overlap"),
    ],
)
def test_a_schedule_with_a_mistake_says_where(schedule, problem):
    with pytest.raises(ScheduleError, match=problem):
        parse_schedule(schedule)


def test_the_schedule_reads_well_for_customers():
    schedule = parse_schedule("mon-fri 09:00-17:00; sat 10:00-14:00")
    assert schedule.describe() == "Mon–Fri 09:00–17:00, Sat 10:00–14:00"
    assert parse_schedule("always").describe() == "around the clock"


@pytest.mark.django_db
def test_hours_follow_the_support_timezone_across_daylight_saving(settings):
    settings.CHATBOT_SUPPORT_SCHEDULE, settings.CHATBOT_SUPPORT_TIMEZONE = (
        "mon-fri 09:00-17:00",
        "Europe/Berlin",
    )
    config = support_config()
    # 08:30 UTC is 09:30 in Berlin in winter (UTC+1) and 10:30 in summer (UTC+2): open both times.
    assert config.within_hours(at("2026-12-07 08:30", ZoneInfo("UTC")))
    assert config.within_hours(at("2026-07-06 07:30", ZoneInfo("UTC")))
    # 16:30 UTC is 17:30 in Berlin in winter: closed.
    assert not config.within_hours(at("2026-12-07 16:30", ZoneInfo("UTC")))
    assert config.hours_text() == "Mon–Fri 09:00–17:00 (Europe/Berlin time)"


@pytest.mark.django_db
def test_admin_overrides_win_and_empty_ones_keep_the_environments_value(settings):
    settings.CHATBOT_LOW_CONFIDENCE_THRESHOLD, settings.CHATBOT_LOW_CONFIDENCE_REPLIES = 0.2, 3
    assert (support_config().low_confidence_threshold, support_config().low_confidence_replies) == (0.2, 3)
    SupportSettings.objects.create(
        low_confidence_threshold=0.45, escalate_on_repetition=False, schedule="never"
    )
    config = support_config()
    assert (config.low_confidence_threshold, config.low_confidence_replies) == (0.45, 3)
    assert config.escalate_on_repetition is False and config.escalate_on_request is True
    assert not config.within_hours()
    assert set(OVERRIDABLE) == {f.name for f in SupportSettings._meta.fields} - {"id", "updated"}


@pytest.mark.django_db
def test_the_settings_row_is_a_singleton_and_validates_hours():
    first = SupportSettings.objects.create(schedule="always")
    second = SupportSettings(timezone="UTC")
    second.save()
    assert first.pk == second.pk == 1 and SupportSettings.objects.count() == 1
    with pytest.raises(ValidationError) as invalid:
        SupportSettings(schedule="weekdays 9-5", timezone="Mars/Olympus").full_clean()
    assert set(invalid.value.message_dict) == {"schedule", "timezone"}


def test_an_unknown_timezone_is_refused():
    with pytest.raises(ScheduleError, match="IANA"):
        parse_timezone("Mars/Olympus")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CHATBOT_SUPPORT_SCHEDULE", "weekdays 9-5", "CHATBOT_SUPPORT_SCHEDULE: 'weekdays'"),
        ("CHATBOT_SUPPORT_TIMEZONE", "Mars/Olympus", "CHATBOT_SUPPORT_TIMEZONE: 'Mars/Olympus'"),
        (
            "CHATBOT_LOW_CONFIDENCE_THRESHOLD",
            "1.5",
            "CHATBOT_LOW_CONFIDENCE_THRESHOLD must be between 0.0 and 1.0",
        ),
        ("CHATBOT_REPETITION_SIMILARITY", "high", "CHATBOT_REPETITION_SIMILARITY must be a number"),
        ("CHATBOT_ESCALATE_ON_COMPLAINT", "sometimes", "CHATBOT_ESCALATE_ON_COMPLAINT must be true or false"),
    ],
)
def test_a_bad_support_variable_stops_the_start_naming_it(variable, value, message):
    result = load_settings({"DEBUG": "true", variable: value}, "settings.CHATBOT_SUPPORT_SCHEDULE")
    assert result.returncode != 0
    assert message in result.stderr


# --- Presence -------------------------------------------------------------------------------------


def test_presence_expires_when_the_heartbeats_stop(settings):
    settings.CHATBOT_STAFF_PRESENCE_SECONDS = 60
    presence.record(user_id=7, channel="tab-1", status=presence.ONLINE, now=1000.0)
    assert presence.statuses([7, 8], now=1059.0) == {7: "online", 8: "offline"}
    assert presence.statuses([7], now=1061.0) == {7: "offline"}  # crashed console: no goodbye needed


def test_a_user_is_online_while_any_of_their_consoles_is():
    presence.record(user_id=7, channel="tab-1", status=presence.AWAY)
    assert presence.statuses([7]) == {7: "away"}
    presence.record(user_id=7, channel="tab-2", status=presence.ONLINE)
    assert presence.statuses([7]) == {7: "online"}
    presence.forget(user_id=7, channel="tab-2")
    assert presence.statuses([7]) == {7: "away"}
    presence.forget(user_id=7, channel="tab-1")
    assert presence.statuses([7]) == {7: "offline"}
