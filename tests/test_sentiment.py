"""Sentiment: identifiers are not shouting, one polite swear word is not anger, trend labels match their numbers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from support_tui.core.sentiment import (
    TREND_WINDOW, SentimentTrend, frustration_signals, is_abusive, label_for, next_label, score_message,
)


def test_order_ids_and_skus_are_not_shouting() -> None:
    text = "Hello, could you please check my orders ORD-70030, ORD-70031 and ORD-70032? Thank you"
    compound, signals = score_message(text)
    assert "shouting" not in signals
    assert label_for(compound) in ("neutral", "positive", "very_positive")
    for calm in (
        "My USB cable PC-9002-BLK arrived, RMA-40021 for the old one please, ID cust_12345",
        "The HDMI port on my TV and the USB hub SKU HB-2200-GRY don't work together",
        "Return RMA-ABC-1234 for ORD-55512 and ORD-55513, customer cust_99881",
    ):
        assert "shouting" not in frustration_signals(calm), calm


def test_capitals_in_words_are_still_shouting() -> None:
    assert "shouting" in frustration_signals("WHERE IS MY ORDER I WANT IT NOW")
    assert "shouting" in frustration_signals("my order is LATE and NOBODY CARES at ALL")


def test_one_swear_word_in_a_polite_request_is_not_negative() -> None:
    compound, signals = score_message("Where the hell is my package? Could you please check it for me, thanks")
    assert signals == ["profanity"] and compound > -0.05
    assert not is_abusive("The damn zipper broke, can I send it back please?")


def test_abuse_at_the_agent_and_repeated_swearing() -> None:
    assert is_abusive("you're a useless bot")
    assert is_abusive("shut up and fix my order")
    assert is_abusive("this shit is crap")
    assert not is_abusive("Is this product useless for cats?")


def test_bare_again_is_not_repeated_contact() -> None:
    assert "repeated_contact" not in frustration_signals("The app logged me out again")
    assert "repeated_contact" in frustration_signals("I already told you the order number")
    assert "repeated_contact" in frustration_signals("This is the third time I'm writing")


def test_state_is_bounded_and_reads_the_old_shape() -> None:
    trend = SentimentTrend()
    for i in range(45):
        trend.update(-0.5 if i % 2 else 0.3)
    state = trend.to_state()
    assert len(state["recent"]) == TREND_WINDOW and state["count"] == 45
    again = SentimentTrend.from_state(state)
    assert (again.smoothed, again.count, again.history, again.label) == (trend.smoothed, 45, trend.history, trend.label)
    old = SentimentTrend.from_state({"history": [0.1] * 30, "smoothed": -0.2, "label": "improving"})
    assert old.count == 30 and len(old.history) == TREND_WINDOW and old.smoothed == -0.2
    assert SentimentTrend.from_state(None).count == 0


def test_labels_from_the_issue_no_longer_happen() -> None:
    # Recovering from anger to -0.14 is not "improving"; falling from cheer to +0.12 is not "worsening".
    assert next_label("negative", -0.5, -0.14) == "steady"
    assert next_label("positive", 0.5, 0.12) == "steady"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(min_value=-1, max_value=1, allow_nan=False), min_size=1, max_size=40))
def test_trend_labels_agree_with_direction_and_level(scores: list[float]) -> None:
    trend = SentimentTrend()
    for score in scores:
        before = trend.smoothed
        label = trend.update(score)
        now = trend.smoothed
        assert label in ("negative", "worsening", "steady", "improving", "positive")
        if label in ("negative", "worsening"):
            assert now < 0
        if label in ("positive", "improving"):
            assert now > 0
        if label == "improving":
            assert now > before
        if label == "worsening":
            assert now < before
        assert len(trend.history) <= TREND_WINDOW
    assert trend.count == len(scores)
