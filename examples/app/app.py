"""A small shop back office whose data access is guarded by Lawful.

    python examples/app/app.py [--log decisions.db] [--watch]

Each function that touches personal data says why (its purpose) and what (its
categories); the guard builds the event from the call and lets the function run
only when the policy allows it. Every guarded decision goes to a hash-chained
decision log, with customer ids pseudonymised. The policy is the shop's
(`rules/examples/shop`), served by a PolicyStore: with `--watch`, editing the
policy files changes the decisions without a restart.

At the end it prints what the log says about one customer and verifies the chain,
as `lawful log query` and `lawful log verify` would.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import engine
from engine import log as decision_log

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "rules" / "examples" / "shop"
NOW = "2026-11-23T09:00:00Z"


@dataclass
class Customer:
    id: str
    age: int
    country: str
    consents: list[dict] = field(default_factory=list)
    objections: list[str] = field(default_factory=list)

    def subject(self) -> dict:
        return {"id": self.id, "age": self.age, "country": self.country,
                "consents": self.consents, "objections": self.objections}


def about(customer: Customer, destination: str = "DE", **extra) -> dict:
    """The event for a call about `customer` (the guards' event builder)."""
    return {"destination": destination, "subject": customer.subject(), "at": NOW, **extra}


def build(store: engine.PolicyStore):
    """The back office's data-access functions, each guarded by the store's policy."""

    @store.guard(purpose="billing", categories=["contact.email", "payment.card"],
                 event=lambda customer: about(customer))
    def send_invoice(customer: Customer) -> str:
        obligations = engine.current_decision().obligations  # e.g. tokenize_card
        return f"invoice e-mailed to {customer.id} (obligations: {', '.join(obligations) or 'none'})"

    @store.guard(purpose="newsletter", categories=["contact.email"], event=lambda customer: about(customer))
    def send_newsletter(customer: Customer) -> str:
        return f"newsletter sent to {customer.id}"

    @store.guard(purpose="analytics", categories=["usage.clickstream"],
                 event=lambda customer, destination: about(customer, destination,
                                                           collected_at="2026-11-01T00:00:00Z"))
    def export_clicks(customer: Customer, destination: str) -> str:
        return f"clickstream of {customer.id} exported to {destination}"

    @store.guard(purpose="analytics", categories=["payment.card"], event=lambda customer: about(customer))
    def analyse_payments(customer: Customer) -> str:
        return "never runs: the policy forbids analytics on payment data"

    return [send_invoice, send_newsletter, export_clicks, analyse_payments]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A back office guarded by Lawful")
    parser.add_argument("--log", help="the decision log (default: a temporary SQLite file)")
    parser.add_argument("--watch", action="store_true", help="reload the policy when its files change")
    args = parser.parse_args(argv)
    folder = tempfile.TemporaryDirectory()
    path = Path(args.log) if args.log else Path(folder.name) / "decisions.db"
    key = "example-key-keep-me-in-a-secret-store"
    with engine.DecisionLog(path, key=key) as log, \
            engine.PolicyStore(POLICY, watch=args.watch, log=log) as store:
        send_invoice, send_newsletter, export_clicks, analyse_payments = build(store)
        ada = Customer("cust-ada", 34, "DE", consents=[{"purpose": "newsletter", "given_at": "2026-01-10T08:00:00Z"}])
        ben = Customer("cust-ben", 14, "FR")  # no consent, and a child in France
        calls = [
            ("send_invoice(ada)", lambda: send_invoice(ada)),
            ("send_newsletter(ada)", lambda: send_newsletter(ada)),
            ("send_newsletter(ben)", lambda: send_newsletter(ben)),
            ("export_clicks(ada, 'DE')", lambda: export_clicks(ada, "DE")),
            ("export_clicks(ada, 'US')", lambda: export_clicks(ada, "US")),
            ("analyse_payments(ada)", lambda: analyse_payments(ada)),
        ]
        for label, call in calls:
            try:
                print(f"allowed  {label}: {call()}")
            except engine.Denied as denied:
                print(f"denied   {label}:")
                for reason in denied.decision.reasons:
                    print(f"           - {reason.message}" + (f" [{reason.cite}]" if reason.cite else ""))
        log.flush()  # everything above is durable from here on
        print(f"\npolicy {store.digest}")
    about_ada = decision_log.query(path, "cust-ada", key)
    print(f"the log holds {len(about_ada)} decision(s) about cust-ada (stored as a pseudonym):")
    for record in about_ada:
        print(f"  #{record['seq']} {record['purpose']}: {record['effect']}")
    result = decision_log.verify(path)
    print(f"log {'intact' if result.intact else 'BROKEN'}: {result.records} record(s), head {result.head[:16]}…")
    folder.cleanup()
    return 0 if result.intact else 1


if __name__ == "__main__":
    sys.exit(main())
