"""The decision log's fast route (a record's text made from pieces: `prepared`,
`Prepared`, `seal`) against the dict route it replaces for plain events: the same
stored text, byte for byte, on generated events and decisions; and the time stamp
made once a second against datetime's."""

from __future__ import annotations

import math

from hypothesis import given, settings, strategies as st

import engine
from engine.decide.decision import built_decision, built_reason
from engine.runtime.log import records as R, writer as W
from helpers import AT, policy

POLICY = policy("""
permit billing on contact.email
rule no_us: forbid * when destination == US because "stays in Europe"
""")

ODD = st.sampled_from(["\ud800", "x\udcff", math.nan, math.inf, (1, 2), {3, 1}, b"\xff", frozenset({1}),
                       "$escaped"]) | st.builds(lambda: 10**5000)
LEAVES = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
          | st.sampled_from(["é", "😀", "\u2028", '"\\']))
PLAIN = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=12)
ANY = st.recursive(LEAVES | ODD, lambda inner: st.lists(inner, max_size=3)
                   | st.dictionaries(st.text(max_size=6) | st.sampled_from([1, "$escaped", ("t",)]), inner,
                                     max_size=3), max_leaves=12)


@st.composite
def events(draw):
    values = draw(st.sampled_from([PLAIN, ANY]))
    if draw(st.booleans()):
        return draw(values)  # not even an object, sometimes
    event = {"purpose": draw(st.sampled_from(["billing", "x"]) | values), "categories": ["contact.email"],
             "destination": draw(st.sampled_from(["DE", "US"])), "at": AT}
    if draw(st.booleans()):
        event["subject"] = {"id": draw(st.text(max_size=6) | values), "age": draw(st.integers(0, 99))}
    if draw(st.booleans()):
        event["context"] = draw(values)
    return event


@st.composite
def decisions(draw):
    if draw(st.booleans()):
        data = {"purpose": "billing", "categories": ["contact.email"], "destination": draw(st.sampled_from(["DE", "US"])),
                "at": AT}
        return POLICY.evaluate(data)
    reasons = tuple(built_reason(draw(st.sampled_from(["forbidden", "permitted"])), draw(st.text(max_size=8) | ODD),
                                 rule=draw(st.none() | st.text(max_size=4)))
                    for _ in range(draw(st.integers(0, 2))))
    effect = draw(st.sampled_from(["allow", "deny"]))
    return built_decision(effect, effect == "allow", reasons, tuple(draw(st.lists(st.text(max_size=4), max_size=2))),
                          draw(st.text(max_size=10) | st.sampled_from(["sha256:ab", "\ud800"])))


def both_routes(log: engine.DecisionLog, when: float, event, decision) -> tuple:
    """(the record as the writer makes it, as the dict route makes it), each sealed."""
    made = log._safe_body(when, W._snapshot(event), decision)
    plain = log._body(when, log.pseudonymised(W._restore(W._snapshot(event))), decision)
    return made, R.seal([made], 41, "a" * 64)[0], R.seal([plain], 41, "a" * 64)[0]


@settings(max_examples=400, deadline=None)
@given(events(), decisions(), st.floats(1e9, 4e9))
def test_the_fast_route_stores_exactly_what_the_dict_route_stores(tmp_path_factory, event, decision, when):
    folder = tmp_path_factory.mktemp("log")
    for raw in (False, True):
        with engine.DecisionLog(folder / f"d{raw}.db", key=None if raw else "k", raw_identifiers=raw) as log:
            made, (fast, fast_text), (slow, slow_text) = both_routes(log, when, event, decision)
            assert fast_text == slow_text
            for name in ("seq", "time", "subject", "purpose", "effect", "hash"):
                assert fast.get(name) == slow.get(name), name
            assert R.read_json(fast_text)["hash"] == fast["hash"] == R.record_hash(R.read_json(fast_text))


def test_a_plain_event_takes_the_fast_route_and_an_odd_one_does_not(tmp_path):
    with engine.DecisionLog(tmp_path / "d.db", key="k") as log:
        decision = POLICY.evaluate({"purpose": "billing", "categories": ["contact.email"], "destination": "DE",
                                    "at": AT})
        good = {"purpose": "billing", "subject": {"id": "alice"}, "context": {"n": 1}}
        assert type(log._safe_body(1.7e9, W._snapshot(good), decision)) is R.Prepared
        for odd in ({"context": (1, 2)}, {"context": {1: 2}}, {"context": math.nan}, {"s": "\ud800"},
                    {"$escaped": "x"}, {"n": 10**5000}):
            assert type(log._safe_body(1.7e9, W._snapshot(odd), decision)) is dict, odd
        hostile = built_decision("allow", True, (), ("o",), b"not text")  # type: ignore[arg-type]
        assert type(log._safe_body(1.7e9, W._snapshot(good), hostile)) is dict


@settings(max_examples=2000, deadline=None)
@given(st.floats(0, 2e11) | st.integers(0, 2 * 10**11).map(lambda s: s + 0.9999995)
       | st.integers(0, 2 * 10**11).map(lambda s: s + 0.0000005))
def test_the_time_stamp_is_datetimes(when):
    assert R.iso_time(when) == R.reference_iso_time(when)
