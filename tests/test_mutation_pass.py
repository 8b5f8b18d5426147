"""The mutation pass's scratch copy registers each rule exactly as the decorator does."""

import re

from tests.mutation_pass import ROOT, undecorate

DECORATOR = re.compile(r'^@rule\("([^"]+)"\)\ndef (\w+)\(', re.MULTILINE)
CALL = re.compile(r'^rule\("([^"]+)"\)\((\w+)\)$', re.MULTILINE)


def test_every_decorated_rule_is_registered_by_a_call_instead():
    for module in ("lms/auth/permissions.py", "lms/exams/rules.py"):
        source = (ROOT / module).read_text(encoding="utf-8")
        copy = undecorate(source)
        assert DECORATOR.findall(source)
        assert CALL.findall(copy) == DECORATOR.findall(source)
        assert "@rule(" not in copy
        compile(copy, module, "exec")


def test_a_module_without_rules_is_left_alone():
    source = "def f():\n    return 1\n"
    assert undecorate(source) == source
