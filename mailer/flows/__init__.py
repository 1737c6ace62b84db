"""One flow per kind of address (SPEC §4), looked up in one table."""

from __future__ import annotations

from mailer.addresses import RouteKind
from mailer.flows.base import Flow, FlowContext, Outcome
from mailer.flows.bounce import record_bounce_report
from mailer.flows.help import send_help
from mailer.flows.notes import commit_or_note, keep_coaching_note
from mailer.flows.postmaster import keep_for_operator
from mailer.flows.reply import read_reply
from mailer.flows.unsubscribe import unsubscribe

FLOWS: dict[RouteKind, Flow] = {
    RouteKind.COMMIT: commit_or_note,
    RouteKind.NOTES: keep_coaching_note,
    RouteKind.HELP: send_help,
    RouteKind.REPLY: read_reply,
    RouteKind.BOUNCE: record_bounce_report,
    RouteKind.UNSUBSCRIBE: unsubscribe,
    RouteKind.POSTMASTER: keep_for_operator,
}

# Which flow wins when one message is addressed to several of ours: a bounce
# or postmaster report is never answered, whatever else it was sent to; an
# unsubscribe is applied rather than read as a reply.
PRIORITY = [
    RouteKind.BOUNCE,
    RouteKind.POSTMASTER,
    RouteKind.UNSUBSCRIBE,
    RouteKind.REPLY,
    RouteKind.COMMIT,
    RouteKind.NOTES,
    RouteKind.HELP,
]

__all__ = ["FLOWS", "PRIORITY", "Flow", "FlowContext", "Outcome"]
