"""Every email's data: one frozen dataclass per template, with the rows it lists.

A flow builds one of these and queues it (mailer/outbound.py); its row
stores ``context()``, which render.py hands the template. mypy checks the
flows against the fields, tests/unit/test_emails.py the fields against the
templates.
"""

from mailer.emails.answers import (
    Attachment,
    ConfirmReply,
    Forgotten,
    Help,
    MyData,
    NotUnderstood,
    OwnerAsked,
    ProcessingFailed,
    RateLimited,
    TokenExpired,
    Unsubscribed,
    WasThisYou,
)
from mailer.emails.base import CommitmentLine, Email, commitment_line
from mailer.emails.challenges import (
    Challenge,
    ChallengeAnswer,
    ChallengeReply,
    Receipt,
    VerdictThanks,
)
from mailer.emails.digests import (
    Closed,
    Digest,
    DigestGroup,
    DigestItem,
    DigestMember,
    Example,
    MemberReply,
    SharedNote,
    YourAnswer,
)
from mailer.emails.members import (
    CoachInvited,
    Confirmation,
    Heard,
    HeldBack,
    Missed,
    NoteKept,
    NoteLine,
    NotesList,
    Summary,
    UpdatesConfirmed,
    Waiting,
)
from mailer.emails.partners import (
    Invitation,
    PartnerLeft,
    PartnerNews,
    PartnershipEnded,
    PartnerUnreachable,
    PartnerWelcome,
)

EMAILS: tuple[type[Email], ...] = (
    Confirmation, UpdatesConfirmed, NotesList, NoteKept, CoachInvited, Summary,
    Invitation, PartnerNews, PartnerWelcome, PartnershipEnded, PartnerLeft,
    PartnerUnreachable, Digest,
    Challenge, ChallengeAnswer, ChallengeReply, VerdictThanks,
    NotUnderstood, TokenExpired, RateLimited, WasThisYou, ConfirmReply, OwnerAsked, Help,
    ProcessingFailed, Forgotten, MyData, Unsubscribed,
)  # fmt: skip
"""Every kind of email there is, one per template folder."""

__all__ = [
    "EMAILS",
    "Attachment",
    "Challenge",
    "ChallengeAnswer",
    "ChallengeReply",
    "Closed",
    "CoachInvited",
    "CommitmentLine",
    "ConfirmReply",
    "Confirmation",
    "Digest",
    "DigestGroup",
    "DigestItem",
    "DigestMember",
    "Email",
    "Example",
    "Forgotten",
    "Heard",
    "HeldBack",
    "Help",
    "Invitation",
    "MemberReply",
    "Missed",
    "MyData",
    "NotUnderstood",
    "NoteKept",
    "NoteLine",
    "NotesList",
    "OwnerAsked",
    "PartnerLeft",
    "PartnerNews",
    "PartnerUnreachable",
    "PartnerWelcome",
    "PartnershipEnded",
    "ProcessingFailed",
    "RateLimited",
    "Receipt",
    "SharedNote",
    "Summary",
    "TokenExpired",
    "Unsubscribed",
    "UpdatesConfirmed",
    "VerdictThanks",
    "Waiting",
    "WasThisYou",
    "YourAnswer",
    "commitment_line",
]  # fmt: skip
