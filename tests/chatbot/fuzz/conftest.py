"""Hypothesis profiles for the fuzz tests (docs/resilience.md).

CI runs the default profile (100 examples per test, a few seconds each test). For a long local run:

    pytest tests/chatbot/fuzz --hypothesis-profile=fuzz-long

The profile is registered here, so the path must include this directory (pytest loads this conftest
before it reads --hypothesis-profile only then).
"""

from hypothesis import settings

settings.register_profile("fuzz-long", max_examples=5000)
