"""Rendering an outbound row into a complete email (jinja2, text and HTML parts)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from email.charset import Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import SMTPUTF8, compat32
from email.utils import format_datetime, formataddr
from functools import cache
from pathlib import Path

import jinja2

from mailer.addresses import UNSUBSCRIBE_PREFIX
from mailer.emails.kinds import STOP_WORDS, mail_kind
from mailer.headers import header_safe, reply_subject
from mailer.models import OutboundMessage
from mailer.occurrences import day_in_words
from mailer.parsing.commands import Audience, help_rows
from mailer.plaintext import wrap_lines

SERVICE_NAME = "pactmail"
SMTP_COMPAT32 = compat32.clone(linesep="\r\n")
# Raw UTF-8 headers (RFC 6532), never refolded: refolding would turn a long
# Message-ID into an encoded word, which no mail client threads by.
SMTPUTF8_POLICY = SMTPUTF8.clone(refold_source="none")
_UTF8 = Charset("utf-8")  # base64 bodies


@cache
def _environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    """(text, html) environments over the templates folder; built once."""
    loader = jinja2.FileSystemLoader([str(path) for path in _template_dirs()])
    text = jinja2.Environment(
        loader=loader,
        autoescape=False,  # noqa: S701 (plain text, not HTML)
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    html = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    for environment in (text, html):
        environment.filters["reply_subject"] = _reply_subject
        environment.filters["day"] = _day
    text.filters["wrap"] = wrap_lines  # base.txt: every text part within 72 columns
    return text, html


def _reply_subject(subject: str) -> str:
    # StrictUndefined fails when printed or tested, but a filter is handed it
    # as it is: asking for its text raises the error that names the value.
    return reply_subject(str(subject) if isinstance(subject, jinja2.Undefined) else subject)


# The day an email is rendered on, for the ``day`` filter: macros imported
# from another template do not see the render's values, and the commitment
# lines (_commitment.*) are such macros.
_RENDERED_ON: ContextVar[date] = ContextVar("rendered_on")


def _day(value: object) -> str:
    """``{{ c.due | day }}``: a stored date (ISO text in a row's context), as digests write it."""
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return day_in_words(day, _RENDERED_ON.get())


def _template_dirs() -> list[Path]:
    # Installed, the top-level templates/ folder is the package data
    # mailer.templates; in a checkout it sits beside mailer/.
    here = Path(__file__).resolve().parent
    dirs = [here.parent / "templates", here / "templates"]
    found = [path for path in dirs if path.is_dir()]
    if not found:
        raise RuntimeError(f"no email templates in {dirs}")
    return found


@dataclass(frozen=True)
class Rendered:
    """An email's words: its subject, its text part and its HTML part."""

    subject: str
    text: str
    html: str


def render_parts(
    template: str,
    context: Mapping[str, object],
    *,
    domain: str,
    reply_address: str,
    today: date,
) -> Rendered:
    """The subject and both parts of ``template`` for the context a flow queued.

    ``today``: the day it is sent, for dates written with their year only when
    not this one's.
    """
    text_env, html_env = _environments()
    stop = mail_kind(template, context).stop
    address = _way_out(context) if stop is not None else ""
    if not address.startswith(f"{UNSUBSCRIBE_PREFIX}+"):
        address = ""  # an old digest's reply+ address wants a "stop": the header offers it
    values = {
        **context,
        **service_values(
            domain, reply_address, stop_address=address, stop_what=STOP_WORDS[stop] if stop else ""
        ),
    }
    rendering = _RENDERED_ON.set(today)
    try:
        return Rendered(
            subject=text_env.get_template(f"{template}/subject.txt").render(values),
            text=text_env.get_template(f"{template}/body.txt").render(values),
            html=html_env.get_template(f"{template}/body.html").render(values),
        )
    finally:
        _RENDERED_ON.reset(rendering)


def service_values(
    domain: str, reply_address: str, *, stop_address: str = "", stop_what: str = ""
) -> dict[str, object]:
    """What every template may read besides its email's own values.

    ``stop_address``/``stop_what``: regular mail's way out, which the base
    layout words as a sentence (the List-Unsubscribe header's address).
    """
    return {
        "stop_address": stop_address,
        "stop_what": stop_what,
        # The help's list of commands comes from the table that reads them.
        "member_commands": _MEMBER_COMMANDS,
        "domain": domain,
        "service": SERVICE_NAME,
        "help_address": f"help@{domain}",
        "commit_address": f"commit@{domain}",
        "notes_address": f"notes@{domain}",
        "reply_address": reply_address,
    }


_MEMBER_COMMANDS = help_rows(Audience.MEMBER)


def _way_out(context: Mapping[str, object]) -> str:
    """The address a row's List-Unsubscribe names (mailer/stops.py); "" when it has none.

    Digests queued before unsubscribe+ existed name their reply+ address,
    where a "stop" still ends digests.
    """
    address = context.get("unsubscribe")
    return address if isinstance(address, str) else ""


def render_email(
    row: OutboundMessage, *, domain: str, now: datetime, public_url: str = ""
) -> bytes:
    """The full message for an outbound row, headers included, as sent.

    ``public_url``: the service's https:// address (Settings.public_url), for
    RFC 8058 one-click unsubscribing; "": by mail only.
    """
    parts = render_parts(
        row.template,
        row.context,
        domain=domain,
        reply_address=_reply_address(row, domain),
        today=now.date(),
    )
    subject, text, html = parts.subject, parts.text, parts.html

    # The compat32 classes rather than EmailMessage: the same bytes for our
    # simple messages at a fraction of the cost, and every value below is
    # made single-line by header_safe, which is what keeps headers unforged.
    # Our own boundary: the generator would otherwise search both parts for
    # a free one. "_" is not in the base64 alphabet, so no body line has it.
    body = MIMEMultipart("alternative", boundary=f"=_pm_{secrets.token_hex(12)}")
    body.attach(_text_part(text, "plain"))
    body.attach(_text_part(html, "html"))
    message = _with_attachment(body, row.context.get("attachment"))
    message["From"] = formataddr((SERVICE_NAME, f"commit@{domain}"))
    message["To"] = header_safe(row.to_address, limit=320)
    # An internationalised address (RFC 6531/6532) travels as raw UTF-8,
    # headers included; everything else stays 7-bit with encoded words.
    utf8 = not row.to_address.isascii()
    message["Subject"] = _subject(header_safe(subject, limit=250), utf8)  # type: ignore[assignment]
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{header_safe(row.message_id)}>"
    if row.in_reply_to:
        message["In-Reply-To"] = f"<{header_safe(row.in_reply_to, limit=998)}>"
    if row.references:
        references = header_safe(row.references, limit=998 * 4)
        # The UTF-8 policy writes values as they are: fold between the ids here.
        message["References"] = "\n ".join(references.split()) if utf8 else references
    # RFC 3834: an answer to a message is auto-replied, the rest auto-generated.
    message["Auto-Submitted"] = "auto-replied" if row.in_reply_to else "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message["Reply-To"] = _reply_address(row, domain)
    kind = mail_kind(row.template, row.context)
    if kind.bulk:  # the scheduled mail sent to everyone at once; never on an answer
        message["Precedence"] = "bulk"
    if kind.stop is not None:
        for name, value in list_unsubscribe(_way_out(row.context), public_url):
            # The UTF-8 policy writes values as they are: fold between the URIs here.
            message[name] = value.replace(", ", ",\n ") if utf8 else value
    return message.as_bytes(policy=SMTPUTF8_POLICY if utf8 else SMTP_COMPAT32)


def list_unsubscribe(address: str, public_url: str) -> list[tuple[str, str]]:
    """The headers that offer a way out of regular mail (RFC 2369, RFC 8058).

    >>> list_unsubscribe("unsubscribe+u-1-2@d.example", "")
    [('List-Unsubscribe', '<mailto:unsubscribe+u-1-2@d.example?subject=unsubscribe>')]
    >>> for name, value in list_unsubscribe("unsubscribe+u-1-2@d.example", "https://d.example"):
    ...     print(f"{name}: {value}".replace(", ", ",\\n  "))
    List-Unsubscribe: <https://d.example/unsubscribe/u-1-2>,
      <mailto:unsubscribe+u-1-2@d.example?subject=unsubscribe>
    List-Unsubscribe-Post: List-Unsubscribe=One-Click
    """
    if not address:
        return []  # queued before this kind of mail carried one
    address = header_safe(address)
    local = address.rpartition("@")[0]
    # The word both addresses take: a digest's reply+ reads it as "stop".
    mailto = f"<mailto:{address}?subject=unsubscribe>"
    prefix, _, token = local.partition("+")
    if not public_url or prefix != UNSUBSCRIBE_PREFIX:
        # An old digest's reply+ address: no endpoint would take its token.
        return [("List-Unsubscribe", mailto)]
    return [
        ("List-Unsubscribe", f"<{public_url}/unsubscribe/{token}>, {mailto}"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    ]


def _with_attachment(body: MIMEMultipart, attachment: object) -> MIMEMultipart:
    """The body alone, or with a JSON file attached (``{"filename", "json"}`` in the context)."""
    if not isinstance(attachment, dict):
        return body
    mixed = MIMEMultipart("mixed", boundary=f"=_pm_{secrets.token_hex(12)}")
    mixed.attach(body)
    part = MIMENonMultipart("application", "json", charset="utf-8")
    part.set_payload(str(attachment.get("json", "")), _UTF8)
    filename = header_safe(str(attachment.get("filename", "data.json")), limit=100)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    mixed.attach(part)
    return mixed


def _text_part(text: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    # The same bytes set_payload(text, utf-8) writes (base64 in lines of 76),
    # encoded in C: the standard library's own encoder is a Python loop, and
    # a digest's parts are the largest thing we encode.
    part.set_payload(base64.encodebytes(text.encode()).decode())
    part["Content-Transfer-Encoding"] = "base64"
    return part


def _subject(value: str, utf8: bool) -> str | Header:
    """The Subject as written: raw UTF-8, plain ASCII, or RFC 2047 encoded words.

    Text that itself looks like an encoded word ("=?") is encoded too:
    written as it is, a name typed as ``=?utf-8?q?Ann=0D=0A...?=`` would be
    decoded by the recipient, line breaks and all.
    """
    if "=?" in value:
        encoded = Header(value, "utf-8")
        # The UTF-8 policy writes a str as it is: the folded encoded words.
        return encoded.encode(linesep="\n") if utf8 else encoded
    return value if utf8 or value.isascii() else Header(value, "utf-8")


def _reply_address(row: OutboundMessage, domain: str) -> str:
    if row.reply_token:
        return f"reply+{row.reply_token}@{domain}"
    return f"help@{domain}"
