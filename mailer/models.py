"""The database schema (SPEC §2): people, partnerships, commitments and every message."""

from __future__ import annotations

import secrets
from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class PartnershipState(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    DECLINED = "declined"
    UNSUITABLE = "unsuitable"
    PAUSED = "paused"
    ENDED = "ended"


class Relationship(StrEnum):
    PEER = "peer"
    OUTSIDE = "outside"
    COACH = "coach"


class CommitmentState(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"
    MISSED = "missed"


class UpdateKind(StrEnum):
    NOTE = "note"
    DONE = "done"
    DROPPED = "dropped"
    MOVED = "moved"
    # An occurrence of a recurring commitment that passed with neither the
    # member's "done" nor a partner's "on track" (mailer/recurring.py).
    MISSED = "missed"


class VerdictKind(StrEnum):
    ON_TRACK = "on_track"
    CHALLENGE = "challenge"


class DigestCadence(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    PAUSED = "paused"  # none for now; "weekly" or "daily" starts them again
    STOPPED = "stopped"  # unsubscribed (List-Unsubscribe or "stop")


class InboundStatus(StrEnum):
    RECEIVED = "received"  # stored, waiting for its processing job
    PROCESSED = "processed"
    IGNORED = "ignored"  # stored on purpose and not answered (RFC 3834, postmaster, ...)
    DUPLICATE = "duplicate"  # the same message was already processed
    HELD = "held"  # from a sender not proven: waits for "Was this you?" to be confirmed
    # Over its sender's hourly rate: not acted on, and nothing can apply it
    # later (a confirmation applies only HELD messages).
    LIMITED = "limited"
    FAILED = "failed"  # processing raised; the error is kept
    # Its parsing failed, overran or never finished MAX_TRIES times
    # (mailer/failures.py): set aside for an operator, never queued again.
    QUARANTINED = "quarantined"


class OutboundStatus(StrEnum):
    PENDING = "pending"  # row written, send job not yet done
    DATA_SENT = "data_sent"  # the final dot was about to go: the relay may have it
    SENT = "sent"
    POSSIBLY_SENT = "possibly_sent"  # interrupted after the final dot: not resent blindly
    FAILED = "failed"  # permanent refusal or retries used up
    # A delivery report said the recipient's system refused it for good
    # (mailer/flows/bounce.py): never offered to be sent again.
    BOUNCED = "bounced"


def new_token_epoch() -> int:
    return secrets.randbelow(2**31 - 1) + 1


class Person(Model):
    """Someone known by an email address: a member, a partner, or both."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=320, unique=True)
    name = fields.CharField(max_length=200, default="")
    # IANA zone name, or a fixed offset such as "+01:00" guessed from a Date header.
    timezone = fields.CharField(max_length=64, default="")
    timezone_confirmed = fields.BooleanField(default=False)
    # The last commitment number given out; raised in place, so the row lock
    # orders concurrent messages of one member instead of failing one.
    commitment_count = fields.IntField(default=0, db_default=0)
    # The last coaching-note number given out, raised the same way.
    note_count = fields.IntField(default=0, db_default=0)
    # The key epoch of every reply token sent to this person: a new one
    # revokes them all. Random, so a person created again after "forget me"
    # never has the old tokens work for them.
    token_epoch = fields.IntField(default=new_token_epoch, db_default=0)
    # As a member: away until this day (their own); partners' digests say so
    # instead of listing their commitments, and it ends by itself that day.
    away_until = fields.DateField(null=True)
    # As a partner: how often digests come (DigestCadence).
    digest_cadence = fields.CharField(max_length=16, default="weekly", db_default="weekly")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "person"


class Partnership(Model):
    """A partner holding a member accountable."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "pactmail.Person", related_name="partnerships_as_member", on_delete=fields.CASCADE
    )
    partner: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "pactmail.Person", related_name="partnerships_as_partner", on_delete=fields.CASCADE
    )
    relationship = fields.CharField(max_length=16, null=True)
    state = fields.CharField(max_length=16, default=PartnershipState.INVITED.value)
    cadence = fields.CharField(max_length=16, default="weekly")
    # The invited person works at the member's own organisation (same domain,
    # not a public mailbox provider): the invitation asks with that noted.
    same_organisation = fields.BooleanField(default=False, db_default=False)
    # The word the partner answered with (peer, manager, decline, ...), or
    # "expired" when the invitation ran out unanswered.
    answer = fields.CharField(max_length=16, null=True)
    invited_at = fields.DatetimeField(null=True)
    reminded_at = fields.DatetimeField(null=True)
    answered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "partnership"
        unique_together = (("member", "partner"),)


class InboundMessage(Model):
    """Every message received, raw bytes kept, with what became of it."""

    id = fields.BigIntField(primary_key=True)
    received_at = fields.DatetimeField(auto_now_add=True)
    peer = fields.CharField(max_length=100, default="")
    mail_from = fields.CharField(max_length=512)
    rcpt_tos = fields.JSONField[list[str]]()
    content = fields.BinaryField()
    size = fields.IntField()
    status = fields.CharField(max_length=16, default=InboundStatus.RECEIVED.value, db_index=True)
    reason = fields.CharField(max_length=200, default="")
    error = fields.TextField(default="")
    message_id = fields.CharField(max_length=998, null=True)
    # Set when processing claims the message: equal keys mean the same message.
    dedup_key = fields.CharField(max_length=64, null=True, unique=True)
    attempts = fields.IntField(default=0)
    processed_at = fields.DatetimeField(null=True)
    # Who sent it (SPEC §7): "authenticated" or "unauthenticated", and what
    # decided it (the border's results, or our own DKIM check).
    sender_auth = fields.CharField(max_length=16, null=True)
    sender_evidence = fields.CharField(max_length=300, default="", db_default="")
    # A keyed hash of the sender's address: "forget me" finds their messages
    # by it, without the row keeping the address in the clear.
    sender_key = fields.CharField(max_length=32, null=True, db_index=True)

    class Meta:
        table = "inbound_message"


class OutboundMessage(Model):
    """Every message sent, with its idempotency key and delivery state."""

    id = fields.BigIntField(primary_key=True)
    idempotency_key = fields.CharField(max_length=200, unique=True)
    template = fields.CharField(max_length=64)
    to_address = fields.CharField(max_length=320)
    context = fields.JSONField[dict[str, object]]()
    message_id = fields.CharField(max_length=255, unique=True)
    in_reply_to = fields.CharField(max_length=998, null=True)
    references = fields.TextField(default="")
    reply_token = fields.CharField(max_length=64, null=True)
    inbound: fields.ForeignKeyNullableRelation[InboundMessage] = fields.ForeignKeyField(
        "pactmail.InboundMessage", related_name="outbound", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharField(max_length=16, default=OutboundStatus.PENDING.value, db_index=True)
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    # When the last attempt was about to send the final dot: a row left in
    # data_sent long after this was cut off, and the sweep settles it.
    final_dot_at = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbound_message"


class Commitment(Model):
    """One promise of a member, numbered per member (#1, #2, ...)."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "pactmail.Person", related_name="commitments", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    text = fields.TextField()
    due_date = fields.DateField(null=True)
    recurrence = fields.CharField(max_length=200, null=True)
    recurrence_label = fields.CharField(max_length=100, null=True)
    # A recurring commitment's due date is its current occurrence; this is
    # the day that occurrence began (the day after the one before it). An
    # on-track verdict from then to the due date keeps it. None: the first
    # occurrence, which began when the commitment was made.
    occurrence_start = fields.DateField(null=True)
    state = fields.CharField(max_length=16, default=CommitmentState.OPEN.value)
    source: fields.ForeignKeyNullableRelation[InboundMessage] = fields.ForeignKeyField(
        "pactmail.InboundMessage",
        related_name="commitments",
        null=True,
        on_delete=fields.SET_NULL,
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "commitment"
        unique_together = (("member", "number"),)


class CommitmentUpdate(Model):
    """News from the member on one commitment."""

    id = fields.IntField(primary_key=True)
    commitment: fields.ForeignKeyRelation[Commitment] = fields.ForeignKeyField(
        "pactmail.Commitment", related_name="updates", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=16)
    note = fields.TextField(default="")
    new_due_date = fields.DateField(null=True)
    # For a recurring commitment's "done" or "missed": the occurrence (its
    # due day) it settles. Unique per commitment, so an occurrence is settled
    # once however many runs or replies race to do it; the note repeats the
    # day as YYYY-MM-DD for readers of the older columns (the digest).
    occurrence = fields.DateField(null=True)
    source: fields.ForeignKeyNullableRelation[InboundMessage] = fields.ForeignKeyField(
        "pactmail.InboundMessage", related_name="updates", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "commitment_update"
        unique_together = (("commitment", "occurrence"),)


class Verdict(Model):
    """A verdict of a partner on one commitment, stored once per source message."""

    id = fields.IntField(primary_key=True)
    commitment: fields.ForeignKeyRelation[Commitment] = fields.ForeignKeyField(
        "pactmail.Commitment", related_name="verdicts", on_delete=fields.CASCADE
    )
    partner: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "pactmail.Person", related_name="verdicts_given", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=16)
    note = fields.TextField(default="")
    source: fields.ForeignKeyRelation[InboundMessage] = fields.ForeignKeyField(
        "pactmail.InboundMessage", related_name="verdicts", on_delete=fields.CASCADE
    )
    # A challenge the member has answered (the summary lists those still waiting).
    answered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "verdict"
        unique_together = (("source", "commitment"),)


class ThreadAuthor(StrEnum):
    MEMBER = "member"
    PARTNER = "partner"


class ThreadMessage(Model):
    """A message in a challenge's thread after the challenge itself, relayed to the other side."""

    id = fields.IntField(primary_key=True)
    verdict: fields.ForeignKeyRelation[Verdict] = fields.ForeignKeyField(
        "pactmail.Verdict", related_name="thread", on_delete=fields.CASCADE
    )
    author = fields.CharField(max_length=16)  # ThreadAuthor
    text = fields.TextField()
    source: fields.ForeignKeyRelation[InboundMessage] = fields.ForeignKeyField(
        "pactmail.InboundMessage", related_name="thread_messages", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "thread_message"
        unique_together = (("source", "verdict"),)


class Digest(Model):
    """One digest for one partner and period: the unique pair is what stops a second."""

    id = fields.IntField(primary_key=True)
    partner: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "pactmail.Person", related_name="digests", on_delete=fields.CASCADE
    )
    period = fields.CharField(max_length=16)  # "2026-11-30" (its first day) or "d2026-12-01"
    # The commitment ids it showed, in the order shown.
    items = fields.JSONField[list[int]]()
    # Replies such as "15 on track" name the member's own number (#15); in
    # digests sent before that, the number was the item's place in ``items``.
    by_member_number = fields.BooleanField(default=True, db_default=False)
    # The shared coaching notes it showed: each goes to a partner once.
    notes = fields.JSONField[list[int]](default=list, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "digest"
        unique_together = (("partner", "period"),)


class Summary(Model):
    """One weekly summary for one member and week: the unique pair stops a second."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "pactmail.Person", related_name="summaries", on_delete=fields.CASCADE
    )
    period = fields.CharField(max_length=16)  # the Monday the week starts on
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "summary"
        unique_together = (("member", "period"),)


class CoachingNote(Model):
    """A forwarded email from a coach, kept privately for the member."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "pactmail.Person", related_name="coaching_notes", on_delete=fields.CASCADE
    )
    source: fields.ForeignKeyRelation[InboundMessage] = fields.ForeignKeyField(
        "pactmail.InboundMessage", related_name="coaching_notes", on_delete=fields.CASCADE
    )
    # The member's own number for it ("share note 3"), stable and never reused.
    number = fields.IntField(default=0, db_default=0)
    coach_name = fields.CharField(max_length=200, default="")
    coach_email = fields.CharField(max_length=320, default="")
    original_date = fields.DatetimeField(null=True)
    subject = fields.CharField(max_length=998, default="")
    body = fields.TextField(default="")
    member_note = fields.TextField(default="")
    # The action items found, proposed as commitments: [{"text", "due", "added"}].
    actions = fields.JSONField[list[dict[str, object]]](default=list, null=True)
    # Set by "share note N": partners see the note in their next digest.
    # Until then (and after "unshare note N") no partner ever sees its text.
    shared_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "coaching_note"
        unique_together = (("member", "number"),)


class NeverInvite(Model):
    """An address whose owner answered an invitation "never": nobody invites it again.

    Kept as a keyed hash (HMAC of the address), not the address itself.
    """

    id = fields.IntField(primary_key=True)
    address_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "never_invite"


class AddressBounces(Model):
    """One address's permanent delivery failures: its bounce score, and whether mail is suspended.

    No row: the address never bounced, or its score was cleared. The rule is
    mailer/bounce_scores.py; the address is kept as mail is sent to it (lowercased).
    """

    id = fields.IntField(primary_key=True)
    address = fields.CharField(max_length=320, unique=True)
    score = fields.IntField(default=0)
    last_bounce_on = fields.DateField(null=True)  # the last day that counted (UTC)
    # Set at the threshold: digests, reminders, summaries and invitations
    # are not sent while it is, unless ``retry_since`` is set.
    suspended_at = fields.DatetimeField(null=True, db_index=True)
    # The day a member replied "re-enable": mail goes again, and a permanent
    # failure within the quiet days after it suspends the address at once.
    retry_since = fields.DateField(null=True)
    last_failure = fields.CharField(max_length=500, default="")  # status and words, one line

    class Meta:
        table = "address_bounce"


class MailStop(Model):
    """A kind of regular mail a person stopped by its List-Unsubscribe (emails/kinds.py Stop).

    Digests and invitations keep theirs where they always did (the digest
    cadence, NeverInvite); the other kinds here. Unique per person and kind:
    an unsubscribe is applied once however often it arrives.
    """

    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "pactmail.Person", related_name="mail_stops", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mail_stop"
        unique_together = (("person", "kind"),)


class CronRun(Model):
    """The last run of one scheduled job, updated in place: what `pactmail status` reports.

    Written at the end of each run, by whichever worker ran it; the interval
    is the schedule's longest gap, so a reader knows when a run is overdue.
    """

    name = fields.CharField(max_length=32, primary_key=True)
    interval_seconds = fields.IntField()
    last_finished_at = fields.DatetimeField(null=True)
    last_result = fields.CharField(max_length=200, default="")
    last_failed_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=500, default="")

    class Meta:
        table = "cron_run"
