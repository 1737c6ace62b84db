"""Read raw inbound mail into a ParsedMessage; never raises, records what was broken."""

import codecs
import email.utils
import html as html_lib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.policy import Policy

import lxml.html
from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig

from mailer.headers import one_line
from mailer.parsing.autoreplies import vendor_reason

MAX_DEPTH = 5  # nesting of attached messages (message/rfc822 inside message/rfc822 ...)
MAX_ATTACHED = 20  # attached messages read per message; a digest can hold thousands
MAX_PARTS = 500  # MIME parts visited per message: bounds work on MIME bombs
MAX_NESTING = 40  # multipart depth; deeper trees are malformed or hostile
MAX_DEFECTS = 50
# The header-value parser is quadratic on some inputs (50,000 encoded words took
# 50 s), so values are cut to these lengths before anything parses them.
SUBJECT_CAP = 2_000
ADDRESS_CAP = 8_000
ID_CAP = 32_000

_MESSAGE_TYPES = frozenset({"message/rfc822", "message/global"})
_REPORT_PARTS = frozenset({"message/delivery-status", "message/global-delivery-status"})
_LIST_HEADERS = ("list-id", "list-unsubscribe", "list-post", "list-help", "list-subscribe")
_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk", "auto_reply"})
_SUPPRESSING = frozenset({"all", "oof", "autoreply"})
_AUTOREPLY_FLAGS = ("x-autoreply", "x-autorespond", "x-autoresponder")
_DAEMONS = frozenset({"mailer-daemon", "postmaster"})
# Codecs that decode bytes but are not charsets a mail could honestly declare.
_UNSAFE_CODECS = frozenset(
    {"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined"}
)

_FOLD = re.compile(r"\r?\n(?=[ \t])")
_ID = re.compile(r"<([^<>\s]{1,998})>")
_BAD_ADDRESS_CHARS = re.compile(r"[\s\x00-\x1f\x7f-\x9f<>()\[\],;:\"\\]")
_COMMENT = re.compile(r"\([^()]*\)")
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_BLANK_RUNS = re.compile(r"\n{3,}")
_STDLIB_STRICT = bool(getattr(email.utils, "supports_strict_parsing", False))


@dataclass(frozen=True)
class ParsedMessage:
    """What we read from one message; fields are always safe to use as they are."""

    message_id: str | None = None
    subject: str = ""
    from_address: str | None = None
    from_name: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    cc_names: tuple[str, ...] = ()  # the display name of each address in cc, or ""
    date: datetime | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    text: str = ""
    html: str | None = None
    auto_reply_reason: str | None = None
    attached_messages: tuple["ParsedMessage", ...] = ()
    defects: tuple[str, ...] = ()


@dataclass
class _Body:
    """Body parts found while walking one message's MIME tree."""

    text: str = ""
    html: str | None = None
    is_report: bool = False
    attached: tuple[ParsedMessage, ...] = ()


def read_message(
    raw: bytes, *, own_domain: str | None = None, envelope_sender: str | None = None
) -> ParsedMessage:
    """Parse raw RFC 5322 bytes; never raises, worst case an empty message with defects."""
    return _read_bytes(raw, 0, own_domain, envelope_sender)


def read_headers(
    raw: bytes, *, own_domain: str | None = None, envelope_sender: str | None = None
) -> ParsedMessage:
    """The headers of raw bytes, the body left unread (for a message too large to read whole)."""
    defects: list[str] = []
    try:
        msg = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
        return _read(msg, 0, own_domain, envelope_sender, defects, with_body=False)
    except Exception as exc:  # as read_message: a message, never a crash
        defects.append(f"unreadable headers: {type(exc).__name__}")
    return ParsedMessage(auto_reply_reason=_null_sender(envelope_sender), defects=_unique(defects))


def _read_bytes(
    raw: bytes, depth: int, own_domain: str | None, envelope_sender: str | None
) -> ParsedMessage:
    """Parse bytes into a Message, then read it; the last line of defence against crashes."""
    defects: list[str] = []
    msg = _parse(raw, defects)
    if msg is not None:
        try:
            return _read(msg, depth, own_domain, envelope_sender, defects)
        except Exception as exc:  # any stdlib surprise still yields a message, never a crash
            defects.append(f"unreadable message: {type(exc).__name__}")
    return ParsedMessage(auto_reply_reason=_null_sender(envelope_sender), defects=_unique(defects))


def _parse(raw: bytes, defects: list[str]) -> Message | None:
    """The parsed message; the lenient compat32 policy, then headers only, if parsing crashes."""
    try:
        data = raw if isinstance(raw, bytes) else bytes(raw)
    except TypeError:  # a str from a careless caller
        data = str(raw).encode("utf-8", "surrogateescape")
    # policy.default's header parser has crashed on crafted Content-Type
    # parameters (IndexError, ValueError); compat32 parses them the old way.
    attempts: tuple[tuple[Policy, bool], ...] = (
        (policy.default, False),
        (policy.compat32, False),
        (policy.compat32, True),
    )
    for chosen, headers_only in attempts:
        try:
            return BytesParser(policy=chosen).parsebytes(data, headersonly=headers_only)
        except Exception as exc:  # try the next, more lenient way
            defects.append(f"parser failed: {type(exc).__name__}")
    return None


def _read(
    msg: Message,
    depth: int,
    own_domain: str | None,
    envelope_sender: str | None,
    defects: list[str],
    *,
    with_body: bool = True,
) -> ParsedMessage:
    """Read headers and (unless not ``with_body``) body of a parsed message."""
    headers = _first_headers(msg)
    senders = _addresses(headers.get("from"), "From", defects)
    from_name, from_address = senders[0] if senders else ("", None)
    cc = _addresses(headers.get("cc"), "Cc", defects)
    try:
        body = (
            _read_body(msg, depth, own_domain, defects)
            if with_body
            else _Body(is_report=_content_type(msg) == "multipart/report")
        )
    except Exception as exc:  # keep the headers even when the body is beyond reading
        defects.append(f"unreadable body: {type(exc).__name__}")
        body = _Body()
    reason = _null_sender(envelope_sender) or _header_reason(headers)
    if reason is None:
        reason = _sender_reason(from_address, headers.get("from"), own_domain, body.is_report)
    return ParsedMessage(
        message_id=_message_id(headers.get("message-id")),
        subject=one_line(_decode_words(headers.get("subject", "")[:SUBJECT_CAP])),
        from_address=from_address,
        from_name=from_name,
        to=tuple(address for _, address in _addresses(headers.get("to"), "To", defects)),
        cc=tuple(address for _, address in cc),
        cc_names=tuple(name for name, _ in cc),
        date=_parse_date(headers.get("date")),
        in_reply_to=_ids(headers.get("in-reply-to")),
        references=_ids(headers.get("references")),
        text=body.text,
        html=body.html,
        auto_reply_reason=reason,
        attached_messages=body.attached,
        defects=_unique(defects),
    )


# --- headers ---------------------------------------------------------------


def _first_headers(msg: Message) -> dict[str, str]:
    """First value of each header by lowercased name, unfolded, 8-bit bytes decoded."""
    found: dict[str, str] = {}
    for name, value in msg.raw_items():
        key = str(name).strip().lower()
        if key not in found:
            found[key] = _unescape(_FOLD.sub("", str(value)))
    return found


def _unescape(value: str) -> str:
    """Turn the parser's surrogate-escaped 8-bit header bytes back into text."""
    if not any("\udc80" <= char <= "\udcff" for char in value):
        return value
    text, _ = decode_bytes(value.encode("utf-8", "surrogateescape"), None)
    return text


def _decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words, however broken."""
    try:
        return str(policy.default.header_factory("subject", value))
    except Exception:  # header registry choked: fall back to the older decoder
        try:
            return str(make_header(decode_header(value)))
        except Exception:  # unknown charsets, bad base64: keep the raw text
            return value


def _addresses(value: str | None, name: str, defects: list[str]) -> list[tuple[str, str]]:
    """(display name, lowercased addr-spec) pairs of an address header, strictly parsed."""
    if value is None or not value.strip():
        return []
    if len(value) > ADDRESS_CAP:
        defects.append(f"{name} header truncated")
    pairs = []
    for display, address in _strict_getaddresses(value[:ADDRESS_CAP]):
        clean = _clean_address(address)
        if clean is not None:
            pairs.append((one_line(_decode_words(display)), clean))
    if not pairs:
        defects.append(f"unparseable {name} header")
    return pairs


def _strict_getaddresses(value: str) -> list[tuple[str, str]]:
    """getaddresses(strict=True), or the same checks where Python predates them."""
    try:
        if _STDLIB_STRICT:
            return email.utils.getaddresses([value], strict=True)
        # CVE-2023-27043 fix backported: reject what the lenient parser misreads.
        unquoted = _strip_quoted(value)
        if not _parentheses_balanced(unquoted):
            return []
        pairs = email.utils.getaddresses([value])
        if len(pairs) != 1 + unquoted.count(","):
            return []
        return [pair for pair in pairs if "[" not in pair[1]]
    except Exception:  # crafted input has crashed the address parser before
        return []


def _strip_quoted(value: str) -> str:
    """The value with quoted strings removed (commas and parentheses in names don't count)."""
    out: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted:
            out.append(char)
    return "".join(out)


def _parentheses_balanced(value: str) -> bool:
    """True when comments open and close in order."""
    depth = 0
    for char in value:
        depth += (char == "(") - (char == ")")
        if depth < 0:
            return False
    return depth == 0


def _clean_address(address: str) -> str | None:
    """The lowercased addr-spec, or None unless it is one plain local@domain."""
    address = address.strip().lower()
    if len(address) > 320 or address.count("@") != 1 or _BAD_ADDRESS_CHARS.search(address):
        return None
    local, domain = address.split("@")
    return address if local and domain and not domain.startswith(".") else None


def _message_id(value: str | None) -> str | None:
    """The Message-ID without angle brackets, or None if absent or empty."""
    if value is None:
        return None
    found = _ID.search(value[:ID_CAP])
    text = found.group(1) if found else value[:ID_CAP].strip().strip("<>")
    return one_line(text) or None


def _ids(value: str | None) -> tuple[str, ...]:
    """Message ids listed in In-Reply-To or References, without brackets."""
    if value is None:
        return ()
    value = value[:ID_CAP]
    found = _ID.findall(value) or [token.strip("<>") for token in value.split()]
    return tuple(one for one in (one_line(token) for token in found) if one)


def _parse_date(value: str | None) -> datetime | None:
    """The Date header as an aware datetime in the sender's offset, or None."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value[:200])
    except Exception:  # ValueError, TypeError, OverflowError on nonsense dates
        return None
    # RFC 5322 "-0000": UTC, with no statement about the sender's zone.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


# --- RFC 3834: mail that must not be answered ------------------------------


def _null_sender(envelope_sender: str | None) -> str | None:
    """'null sender' when the envelope says bounces go nowhere."""
    if envelope_sender is not None and envelope_sender.strip() in ("", "<>"):
        return "null sender"
    return None


def _header_reason(headers: dict[str, str]) -> str | None:
    """Why the headers mark the message as automatic or list mail, or None."""
    auto = headers.get("auto-submitted")
    if auto is not None and _first_token(auto) != "no":
        return "auto-submitted"
    precedence = _first_token(headers.get("precedence", ""))
    if precedence in _BULK_PRECEDENCE:
        return f"precedence: {precedence}"
    if any(name in headers for name in _LIST_HEADERS):
        return "mailing list"
    suppress = re.split(r"[\s,;]+", headers.get("x-auto-response-suppress", "").lower())
    if _SUPPRESSING.intersection(suppress):
        return "auto-response suppressed"
    if any(name in headers for name in _AUTOREPLY_FLAGS):
        return "auto-reply header"
    # Older marks of vacation notices and challenge-response robots (Apple,
    # Boxbe, SpamArrest, TMDA), as the return path's reader knows them.
    return vendor_reason(headers)


def _sender_reason(
    address: str | None, raw_from: str | None, own_domain: str | None, is_report: bool
) -> str | None:
    """'own mail' or 'bounce' from who sent it and what it is."""
    domain = (own_domain or "").strip().lower().strip(".")
    if address and domain:
        sender_domain = address.rsplit("@", 1)[1]
        if sender_domain == domain or sender_domain.endswith("." + domain):
            return "own mail"
    local = address.split("@")[0] if address else _first_token(raw_from or "")
    if is_report or local in _DAEMONS:
        return "bounce"
    return None


def _first_token(value: str) -> str:
    """First keyword of a header value, lowercased, comments and parameters dropped."""
    return _COMMENT.sub(" ", value).split(";")[0].strip().lower()


# --- body ------------------------------------------------------------------


def _read_body(msg: Message, depth: int, own_domain: str | None, defects: list[str]) -> _Body:
    """Pick the body text, the HTML and the attached messages from the MIME tree."""
    body = _Body(is_report=_content_type(msg) == "multipart/report")
    plain: str | None = None
    attached: list[ParsedMessage] = []
    for part in _walk(msg, defects):
        kind = _content_type(part)
        if kind in _MESSAGE_TYPES:
            inner = _read_attached(part, depth, own_domain, len(attached), defects)
            if inner is not None:
                attached.append(inner)
        elif kind in _REPORT_PARTS:
            body.is_report = True
        elif kind == "text/plain" and plain is None and not _is_attachment(part):
            text = _part_text(part, defects)
            plain = text if text.strip() else None
        elif kind == "text/html" and body.html is None and not _is_attachment(part):
            markup = _part_text(part, defects)
            body.html = markup if markup.strip() else None
    body.attached = tuple(attached)
    if plain is not None:
        body.text = plain
    elif body.html is not None:
        body.text = html_to_text(body.html)
    return body


def _walk(root: Message, defects: list[str]) -> Iterator[Message]:
    """Leaf parts and attached-message parts in order, without entering attached messages."""
    stack: list[tuple[Message, int]] = [(root, 0)]
    visited = 0
    while stack:
        part, nesting = stack.pop()
        visited += 1
        if visited > MAX_PARTS or nesting > MAX_NESTING:
            defects.append("MIME tree too large or too deep: rest ignored")
            return
        defects.extend(type(defect).__name__ for defect in part.defects)
        # Only multiparts are entered: message/* parts (attached mail, delivery
        # status) also hold lists but are read as a whole. is_multipart() does not
        # decode, unlike get_payload() on a leaf, which can raise on odd charsets.
        if part.is_multipart() and not _content_type(part).startswith("message/"):
            payload = part.get_payload()
            children = [child for child in payload if isinstance(child, Message)]
            stack.extend((child, nesting + 1) for child in reversed(children))
        else:
            yield part


def _read_attached(
    part: Message, depth: int, own_domain: str | None, count: int, defects: list[str]
) -> ParsedMessage | None:
    """The message inside a message/rfc822 part, parsed like a top-level one."""
    if depth >= MAX_DEPTH or count >= MAX_ATTACHED:
        defects.append("attached messages too deep or too many: rest ignored")
        return None
    if part.is_multipart():
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        return _read(inner, depth + 1, own_domain, None, []) if isinstance(inner, Message) else None
    try:
        data = part.get_payload(decode=True)  # e.g. a base64-encoded message/rfc822
    except Exception:  # undecodable: the attached message is lost, the rest is not
        defects.append("unreadable attached message")
        return None
    if isinstance(data, bytes) and data.strip():
        return _read_bytes(data, depth + 1, own_domain, None)
    return None


def _content_type(part: Message) -> str:
    """The part's content type, or octet-stream when even that is unreadable."""
    try:
        return part.get_content_type()
    except Exception:  # a crafted Content-Type header
        return "application/octet-stream"


def _is_attachment(part: Message) -> bool:
    """True for parts the sender attached rather than wrote."""
    try:
        disposition = part.get_content_disposition()
        return disposition == "attachment" or (
            disposition is None and part.get_filename() is not None
        )
    except Exception:  # a crafted Content-Disposition header: treat it as an attachment
        return True


def _part_text(part: Message, defects: list[str]) -> str:
    """The decoded, newline-normalised text of a text/* part."""
    try:
        data = part.get_payload(decode=True)
        charset = part.get_content_charset()
        flowed = str(part.get_param("format", "")).lower() == "flowed"
        delsp = str(part.get_param("delsp", "")).lower() == "yes"
    except Exception as exc:  # broken transfer encoding or parameters
        defects.append(f"unreadable part: {type(exc).__name__}")
        return ""
    if not isinstance(data, bytes):
        return ""
    text, note = decode_bytes(data, charset)
    defects.extend([note] if note else [])
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return unflow(text, delsp=delsp) if flowed else text


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """Text of data in its declared charset, else UTF-8, cp1252, latin-1; plus a defect note."""
    codec, note = _codec(declared)
    utf8 = _strict_decode(data, "utf-8")
    if codec is not None:
        text = _strict_decode(data, codec)
        if text is not None and (utf8 is None or not _utf8_is_likelier(data, text, utf8)):
            return text, None
        note = f"charset {declared!r} did not fit the bytes"
    if utf8 is not None:
        return utf8, note
    lenient = data.decode("utf-8", "replace")
    # Mostly valid UTF-8 with a few bad bytes reads better as UTF-8 than as cp1252.
    if sum(ord(char) > 0x7F for char in lenient) >= 3 * lenient.count("\ufffd"):
        return lenient, note or "invalid utf-8 bytes replaced"
    cp1252 = _strict_decode(data, "cp1252")
    return (cp1252 if cp1252 is not None else data.decode("latin-1")), note or "decoded as cp1252"


def _codec(declared: str | None) -> tuple[str | None, str | None]:
    """The Python codec for a declared charset, or None with a note why not."""
    if not declared or not declared.strip():
        return None, None
    try:
        name = codecs.lookup(declared.strip().strip("\"'")).name
    except (LookupError, ValueError, TypeError):
        return None, f"unknown charset {declared[:40]!r}"
    return (None, f"refused charset {name!r}") if name in _UNSAFE_CODECS else (name, None)


def _strict_decode(data: bytes, codec: str) -> str | None:
    """data decoded strictly, or None if the bytes do not fit the codec."""
    try:
        return data.decode(codec)
    except (UnicodeError, LookupError, ValueError, TypeError):
        return None


def _utf8_is_likelier(data: bytes, declared_text: str, utf8_text: str) -> bool:
    """True when a strictly valid UTF-8 reading beats the declared one (mojibake)."""
    if declared_text == utf8_text:
        return False
    non_ascii = sum(ord(char) > 0x7F for char in utf8_text)
    if len(declared_text) == len(data):  # single-byte charset: real text is never valid UTF-8
        return non_ascii > 0
    # Multi-byte charsets can read short UTF-8 runs by accident; demand a few characters.
    return non_ascii >= 3


def unflow(text: str, *, delsp: bool = False) -> str:
    """Join RFC 3676 format=flowed soft line breaks (lines ending in a space)."""
    out: list[str] = []
    pending: str | None = None
    pending_depth = 0
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        content = content[1:] if content.startswith(" ") else content  # space-stuffing
        soft = content.endswith(" ") and content != "-- "
        if soft and delsp:
            content = content[:-1]
        if pending is not None and depth != pending_depth:  # a quote level change ends it
            out.append(_quoted(pending, pending_depth))
            pending = None
        pending = content if pending is None else pending + content
        pending_depth = depth
        if not soft:
            out.append(_quoted(pending, depth))
            pending = None
    if pending is not None:
        out.append(_quoted(pending, pending_depth))
    return "\n".join(out)


def _quoted(text: str, depth: int) -> str:
    """text behind depth quote marks."""
    return f"{'>' * depth} {text}" if depth else text


def html_to_text(markup: str) -> str:
    """Plain text of an HTML body via inscriptis; tags stripped if that fails.

    What a ``<blockquote>`` holds comes out as ``>`` lines, as a text reply
    quotes: it is the history the reply quotes, never its new text.

    >>> html_to_text("<p>Agreed.</p><blockquote><p>Alice wrote</p><p>this</p></blockquote>")
    'Agreed.\\n\\n> Alice wrote\\n>\\n> this'
    """
    markup = markup.replace("\x00", "")
    try:
        if "<blockquote" in markup.lower():
            markup = _quotes_marked(markup)
        text = _inscriptis(markup)
    except Exception:  # lxml refuses some inputs outright
        text = html_lib.unescape(_TAG.sub(" ", _SCRIPT_OR_STYLE.sub(" ", markup)))
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")


def _inscriptis(markup: str) -> str:
    # A fresh config per call: converters that keep state leak it between messages.
    return str(get_text(markup, ParserConfig(css=CSS_PROFILES["strict"].copy())))


def _quotes_marked(markup: str) -> str:
    """The markup with each outermost blockquote made a ``<pre>`` of its text, ``>`` quoted."""
    document = lxml.html.document_fromstring(markup)
    for quote in document.xpath("//blockquote[not(ancestor::blockquote)]"):
        inner = _inscriptis(lxml.html.tostring(quote, encoding="unicode")).strip("\n")
        marked = lxml.html.Element("pre")
        marked.text = "\n".join(f"> {line}".rstrip() for line in inner.split("\n"))
        marked.tail = quote.tail
        quote.getparent().replace(quote, marked)
    return str(lxml.html.tostring(document, encoding="unicode"))


def _unique(items: list[str]) -> tuple[str, ...]:
    """items without repeats, in order, at most MAX_DEFECTS."""
    return tuple(dict.fromkeys(items))[:MAX_DEFECTS]
