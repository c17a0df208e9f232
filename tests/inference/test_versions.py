"""Version directories: named by time and preset, and only complete ones are ever found."""

from datetime import UTC, datetime

import pytest

from inference import versions

NOON = datetime(2026, 5, 4, 12, 0, 0, tzinfo=UTC)


def make_version(root, preset="small", *, now=NOON, complete=True):
    path = versions.create_version_dir(root, preset, now=now)
    (path / versions.MODEL_FILE).write_bytes(b"weights")
    if complete:
        versions.mark_complete(path)
    return path


def test_a_version_is_named_by_utc_time_and_preset(tmp_path):
    assert make_version(tmp_path).name == "20260504-120000-small"
    with pytest.raises(ValueError, match="letters, digits"):
        versions.new_version_name("../evil")


def test_two_versions_in_the_same_second_get_distinct_names(tmp_path):
    first, second = make_version(tmp_path), make_version(tmp_path)
    assert (first.name, second.name) == ("20260504-120000-small", "20260504-120000-small-2")
    assert versions.latest_version(tmp_path) == second


def test_latest_version_is_the_newest_complete_one(tmp_path):
    older = make_version(tmp_path, now=NOON.replace(hour=9))
    newest_complete = make_version(tmp_path, "demo", now=NOON.replace(hour=10))
    make_version(tmp_path, now=NOON.replace(hour=11), complete=False)  # still being written
    (tmp_path / "notes").mkdir()
    assert versions.list_versions(tmp_path) == [older, newest_complete]
    assert versions.latest_version(tmp_path) == newest_complete


def test_an_empty_or_missing_root_has_no_latest_version(tmp_path):
    assert versions.latest_version(tmp_path) is None
    assert versions.latest_version(tmp_path / "missing") is None


def test_the_marker_lists_the_files_it_vouches_for(tmp_path):
    path = make_version(tmp_path)
    assert versions.is_complete(path)
    assert '"model.pt"' in (path / versions.COMPLETE_MARKER).read_text()
