"""Every score of a well-formed response is an exact Decimal in [0, 1] (None only for the
types a teacher grades or nobody scores)."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from question_bank import score, score_children, validate_payload
from tests.question_bank.strategies import ANY_PAYLOAD, response_to

UNSCORED = {"essay", "description", "stimulus"}


def assert_fraction(value, type_name: str) -> None:
    if type_name in UNSCORED:
        assert value is None
    else:
        assert isinstance(value, Decimal) and Decimal(0) <= value <= Decimal(1)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=ANY_PAYLOAD, data=st.data())
def test_scores_are_decimals_in_the_unit_interval(raw, data):
    stored = validate_payload(raw)
    response = response_to(data.draw, stored)
    assert_fraction(score(stored, response), stored["type"])
    assert_fraction(score(stored, None), stored["type"])
    if stored["type"] == "stimulus":
        for child, result in zip(stored["children"],
                                 score_children(stored, response["children"]), strict=True):
            assert_fraction(result, child["type"])
