"""Template filters for the analytics page: `{{ value|percent }}` and friends (formatting.py)."""

from django import template

from chatbot.analytics import formatting

register = template.Library()
for name in ("count", "percent", "milliseconds", "seconds", "decimal", "long_date", "short_date"):
    register.filter(name, getattr(formatting, name))
