from pathlib import Path

from lms.config import Config

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_every_setting_is_documented_with_its_variable_name():
    text = DOC.read_text(encoding="utf-8")
    settings = [name for name in vars(Config) if name.isupper()]
    assert settings
    assert [name for name in settings if f"`HOCLIEU_{name}`" not in text] == []
