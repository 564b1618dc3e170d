"""The guard API (decorator, context manager, Denied) and thread safety under
PolicyStore's reload (its hot reload itself: tests/test_store.py)."""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from pathlib import Path

import pytest

import engine
from helpers import AT, event, policy

POLICY = policy("""
permit billing on contact.email
rule eu: forbid * when destination == US because "stays in Europe"
obligation unsubscribe_link "Every message carries an unsubscribe link"
permit marketing on contact.email with unsubscribe_link
""")


def customer_event(customer: dict, destination: str = "DE") -> dict:
    return {"destination": destination, "subject": {"id": customer["id"], "age": customer["age"]}, "at": AT}


# ---- the decorator ------------------------------------------------------------------------------


def test_guard_lets_an_allowed_call_run_and_shows_it_the_decision():
    @POLICY.guard(purpose="billing", categories=["contact.email"], event=customer_event)
    def send_invoice(customer, destination="DE"):
        return engine.current_decision()

    decision = send_invoice({"id": "c1", "age": 30})
    assert decision.allowed and decision.digest == POLICY.digest
    assert engine.current_decision() is None  # only inside the call
    assert send_invoice.__name__ == "send_invoice"  # functools.wraps


def test_guard_raises_denied_with_the_whole_decision():
    calls = []

    @POLICY.guard(purpose="billing", categories=["contact.email"], event=customer_event)
    def send_invoice(customer, destination="DE"):
        calls.append(customer)

    with pytest.raises(engine.Denied) as caught:
        send_invoice({"id": "c1", "age": 30}, destination="US")
    assert calls == []
    decision = caught.value.decision
    assert not decision.allowed and [r.rule for r in decision.reasons] == ["eu"]
    assert "send_invoice" in str(caught.value) and "stays in Europe" in str(caught.value)
    assert isinstance(caught.value, PermissionError)


def test_guard_purpose_and_categories_win_over_the_builder():
    @POLICY.guard(purpose="billing", categories="contact.email",
                  event=lambda: {**event(purpose="analytics", categories=["health"])})
    def act():
        return engine.current_decision()

    assert act().allowed


@pytest.mark.parametrize("builder, problem", [
    (lambda customer: 1 / 0, "ZeroDivisionError"),
    (lambda customer: 42, "TypeError"),
])
def test_an_event_builder_that_fails_denies_and_says_why(builder, problem):
    @POLICY.guard(purpose="billing", categories=["contact.email"], event=builder)
    def act(customer):
        raise AssertionError("must not run")

    with pytest.raises(engine.Denied) as caught:
        act({"id": "c1"})
    [reason] = caught.value.decision.reasons
    assert reason.kind == "invalid-event" and problem in reason.message and "act" in reason.message


def test_an_invalid_event_is_denied_not_raised():
    @POLICY.guard(event=lambda: {"purpose": "billing", "categories": "not a list"})
    def act():
        raise AssertionError("must not run")

    with pytest.raises(engine.Denied) as caught:
        act()
    assert {r.kind for r in caught.value.decision.reasons} == {"invalid-event"}


def test_guard_on_async_functions():
    @POLICY.guard(purpose="marketing", categories=["contact.email"], event=customer_event)
    async def send_offer(customer, destination="DE"):
        await asyncio.sleep(0)
        return engine.current_decision().obligations

    with pytest.raises(engine.Denied) as caught:  # no consent held
        asyncio.run(send_offer({"id": "c1", "age": 30}))
    assert caught.value.decision.reasons[0].kind == "no-consent"
    consented = {"id": "c1", "age": 30}

    @POLICY.guard(purpose="marketing", categories=["contact.email"],
                  event=lambda c: {**customer_event(c), "subject": {"id": c["id"], "consents": [
                      {"purpose": "marketing", "given_at": "2026-01-01T00:00:00Z"}]}})
    async def send_consented_offer(customer):
        return engine.current_decision().obligations

    assert asyncio.run(send_consented_offer(consented)) == ("unsubscribe_link",)

    @POLICY.guard(purpose="billing", categories=["contact.email"], event=customer_event)
    async def denied(customer, destination="US"):
        raise AssertionError("must not run")

    with pytest.raises(engine.Denied):
        asyncio.run(denied({"id": "c1", "age": 30}, destination="US"))


# ---- the context manager ---------------------------------------------------------------------------


def test_check_gives_the_allow_and_its_obligations():
    allowed_event = event(purpose="marketing", subject={"consents": [
        {"purpose": "marketing", "given_at": "2026-01-01T00:00:00Z"}]})
    with POLICY.check(allowed_event) as allowed:
        assert allowed.obligations == ("unsubscribe_link",)
        assert engine.current_decision() is allowed
    assert engine.current_decision() is None


def test_check_raises_denied_before_the_block_runs():
    ran = []
    with pytest.raises(engine.Denied) as caught:
        with POLICY.check(event(destination="US")):
            ran.append(True)
    assert ran == [] and caught.value.decision.reasons[0].rule == "eu"


def test_check_as_async_context_manager():
    async def main():
        async with POLICY.check(event()) as allowed:
            return allowed.allowed

    assert asyncio.run(main()) is True


# ---- PolicyStore --------------------------------------------------------------------------------------

# ---- thread safety ----------------------------------------------------------------------------------------


def test_eight_threads_evaluate_while_the_policy_is_reloaded(tmp_path):
    """Every decision equals the reference decision of the policy whose digest it carries."""
    texts = [
        "use gdpr\n" + POLICY_TEXT.format(age=age, extra=extra)
        for age, extra in [(16, ""), (13, "rule no_us: forbid * when destination == US\n"),
                           (18, "forbid analytics on usage\n")]
    ]
    chooser = random.Random(5)
    events = [{
        "purpose": chooser.choice(["billing", "analytics", "marketing"]),
        "categories": [chooser.choice(["email", "usage"])],
        "destination": chooser.choice(["DE", "FR", "US", "JP"]),
        "subject": {"age": chooser.randint(10, 40), "country": chooser.choice(["DE", "FR", "IE"]),
                    **({"consents": [{"purpose": "marketing", "given_at": "2026-01-01T00:00:00Z"}]}
                       if chooser.random() < 0.5 else {})},
        "at": AT} for _ in range(200)]
    # the meaning of each version, from the reference evaluator, before any thread starts
    expected = {}
    for text in texts:
        version = engine.load_policy_text(text, name=str(tmp_path / "policy.law"))
        for index, data in enumerate(events):
            expected[(index, version.digest)] = version.evaluate_reference(data).model_dump()
    path = tmp_path / "policy.law"
    path.write_text(texts[0])
    store = engine.PolicyStore(path)
    failures: list[BaseException] = []
    counts: list[int] = []
    digests: set[str] = set()
    stop = threading.Event()

    def worker(offset: int):
        try:
            done, index = 0, offset
            while not stop.is_set() or done < 500:
                position = index % len(events)
                decision = store.evaluate(events[position])
                digests.add(decision.digest)
                assert decision.model_dump() == expected[(position, decision.digest)], (position, decision)
                done += 1
                index += 1
            counts.append(done)
        except BaseException as error:  # noqa: BLE001
            failures.append(error)

    threads = [threading.Thread(target=worker, args=(n * 37,)) for n in range(8)]
    for thread in threads:
        thread.start()
    swaps = 0
    for round_ in range(6):
        path.write_text(texts[(round_ + 1) % len(texts)])
        swaps += store.reload()
        time.sleep(0.01)
    stop.set()
    for thread in threads:
        thread.join(120)
    assert not failures, failures[0]
    assert swaps == 6 and len(counts) == 8 and min(counts) >= 500
    assert digests == {digest for _, digest in expected}, "the reloads did not overlap the evaluations"


POLICY_TEXT = """
category email
category usage
purpose billing basis contract
purpose analytics basis legitimate_interest
purpose marketing basis consent
table adult default {age} {{ DE: 16 }}
permit billing on email to eea
permit analytics on usage
permit marketing on email when subject.age >= adult[subject.country]
{extra}"""


# ---- the documentation and the example application ----------------------------------------------


def test_every_python_block_in_the_guard_doc_runs(tmp_path, monkeypatch, capsys):
    import re

    doc = (Path(__file__).parent.parent / "docs" / "guard.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    try:
        for block in blocks:
            exec(compile(block, "docs/guard.md", "exec"), namespace)  # noqa: S102 — our own doc
    finally:
        if "store" in namespace:
            namespace["store"].close()
    out = capsys.readouterr().out
    assert "sent, obligations: ('tokenize_card',)" in out
    assert "send_invoice: denied: Customer data stays in the EU" in out
    assert "no-consent" in out and out.rstrip().endswith("True\n1")


def test_the_example_application_runs(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).parent.parent
    log = tmp_path / "app.db"
    run = subprocess.run([sys.executable, str(root / "examples" / "app" / "app.py"), "--log", str(log)],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith(("allowed", "denied"))] == [
        "allowed  send_invoice(ada)", "allowed  send_newsletter(ada)", "denied   send_newsletter(ben)",
        "allowed  export_clicks(ada, 'DE')", "denied   export_clicks(ada, 'US')",
        "denied   analyse_payments(ada)"]
    assert "log intact: 6 record(s)" in run.stdout
    from engine.runtime import log as decision_log

    assert decision_log.verify(log).records == 6
    assert b"cust-ada" not in log.read_bytes()
