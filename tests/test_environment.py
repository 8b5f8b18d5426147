"""A missing tool or fixture skips on a developer's machine and fails the run on CI."""

from pathlib import Path

import pytest

from tests.environment import require_binary, unavailable
from tests.question_bank.fixtures import FIXTURES, fixture_path, fixtures_folder


@pytest.mark.parametrize("ci", ["", "false", "1"])
def test_off_ci_a_missing_requirement_skips(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="no such tool"):
        unavailable("no such tool")


@pytest.mark.parametrize("ci", ["true", "TRUE"])
def test_on_ci_a_missing_requirement_fails(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="CI=true: no such tool"):
        unavailable("no such tool")


def test_a_missing_binary_fails_on_ci_and_a_present_one_is_found(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="hoclieu-no-such-binary is not installed"):
        require_binary("hoclieu-no-such-binary", "apt-get install nothing")
    assert require_binary("sh", "always there").endswith("/sh")


def test_a_missing_shared_fixture_fails_on_ci(monkeypatch, tmp_path):
    (tmp_path / "gift").mkdir()
    (tmp_path / "gift" / "a.txt").write_text("::Q:: 1 {T}")
    monkeypatch.setenv("CI", "true")
    assert fixture_path("gift/a.txt", folder=tmp_path) == tmp_path / "gift" / "a.txt"
    with pytest.raises(pytest.fail.Exception, match="shared fixture gift/b.txt is absent"):
        fixture_path("gift/b.txt", folder=tmp_path)
    with pytest.raises(pytest.fail.Exception):
        fixture_path("gift/a.txt", folder=tmp_path / "absent")


def test_the_folder_comes_from_the_environment_else_beside_the_checkout(tmp_path):
    assert fixtures_folder({"HOCLIEU_SHARED_FIXTURES": str(tmp_path)}) == tmp_path
    checkout = Path(__file__).resolve().parents[1]
    assert fixtures_folder({}) == checkout.parent / "shared" / "fixtures"
    assert fixtures_folder() == FIXTURES
