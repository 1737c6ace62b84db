"""A forwarded email's header block, read by its labels in the corpus languages.

email-forward-parser knows each client's exact layout; where it has none (an
Outlook in Japanese, Spanish "Enviado el:", Polish "Wysłano:", MailMate's
quoted block) or misses the date, this reads the first block of
``Label: value`` lines that names a sender with an address and a subject.
It is only asked when the message already looks forwarded, since a reply's
quoted header block looks the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parseaddr

MAX_BLOCK_LINES = 12  # From, Sent, To, Cc, Subject … with room for wrapped values
MAX_SCAN_LINES = 2000  # the outermost forward's block is near the top

_FROM = {
    "from",
    "von",
    "de",
    "de la",
    "fra",
    "från",
    "da",
    "van",
    "od",
    "от",
    "від",
    "від кого",
    "šalje",
    "pošiljatelj",
    "kimden",
    "feladó",
    "lähettäjä",
    "saatja",
    "afzender",
    "remetente",
    "mittente",
    "差出人",
    "送信者",
    "发件人",
    "寄件者",
}
_DATE = {
    "date",
    "sent",
    "sent on",
    "date sent",
    "datum",
    "gesendet",
    "envoyé",
    "dato",
    "sendt",
    "skickat",
    "fecha",
    "enviado",
    "enviado el",
    "enviada",
    "data",
    "inviato",
    "verzonden",
    "wysłano",
    "wysłane",
    "odesláno",
    "odoslané",
    "poslano",
    "dată",
    "trimis",
    "дата",
    "отправлено",
    "надіслано",
    "tarih",
    "gönderildi",
    "dátum",
    "elküldve",
    "päivämäärä",
    "lähetetty",
    "kuupäev",
    "saadetud",
    "送信日時",
    "日付",
    "日時",
    "发送时间",
    "时间",
    "寄件日期",
}
_SUBJECT = {
    "subject", "betreff", "objet", "sujet", "emne", "ämne", "asunto", "assunto", "oggetto",
    "onderwerp", "temat", "předmět", "predmet", "subiect", "тема", "konu", "tárgy", "aihe",
    "teema", "件名", "主题", "主旨",
}  # fmt: skip
_COLON = r"[:\uff1a]"  # and the full-width colon of Chinese and Japanese clients
_LINE = re.compile(
    rf"^\s*\**(?P<label>[^\W\d_][^:\uff1a*]{{0,23}}?)\**\s*{_COLON}\**\s*(?P<value>.*?)\s*$"
)
_QUOTE = re.compile(r"^[ \t]*> ?")
# Lines that only introduce the block: rules, "Begin forwarded message:" and the like.
_INTRO = re.compile(rf"^\s*(?:[-_=*]{{3,}}.*|[^:\uff1a]{{1,50}}{_COLON})\s*$")


@dataclass(frozen=True)
class HeaderBlock:
    from_name: str
    from_address: str  # empty when the block shows a name alone
    date: str  # as shown, often localised
    subject: str
    before: str  # what the forwarder wrote above the block
    body: str  # the forwarded email's text


def read_header_block(text: str) -> HeaderBlock | None:
    """The first forwarded header block in ``text``, or None.

    The first line labelled as a sender decides, even when it shows a name
    alone (Outlook can): deeper blocks are older mail in the thread, often
    the forwarder's own, not the email forwarded.

    >>> block = read_header_block(
    ...     "Memo\\n\\n-----\\n差出人: Dana <dana@x.example>\\n送信日時: 2026年11月24日 17:02\\n"
    ...     "宛先: Anna <anna@x.example>\\n件名: Session\\n\\nHi Anna")
    >>> block.from_address, block.date, block.subject, block.before, block.body
    ('dana@x.example', '2026年11月24日 17:02', 'Session', 'Memo', 'Hi Anna')
    """
    lines = text.replace("\r\n", "\n").split("\n")
    for start, line in enumerate(lines[:MAX_SCAN_LINES]):
        if not _is_from(_QUOTE.sub("", line)):
            continue
        first = _block_start(lines, start)
        fields, end = _fields(lines, first)
        name, address = _sender(fields.get("from", ""))
        if not (name or address) or "subject" not in fields:
            return None
        return HeaderBlock(
            from_name=name,
            from_address=address,
            date=fields.get("date", ""),
            subject=fields["subject"],
            before=_before(lines[:first]),
            body="\n".join(_QUOTE.sub("", body_line) for body_line in lines[end:]).strip(),
        )
    return None


def opens_header_block(following: str) -> bool:
    """Whether the text right after a separator line starts with a sender, date or subject.

    Tells a forward's separator from the same rule used as a banner or a
    signature line inside the forwarded email.
    """
    for line in following.lstrip("\r\n").split("\n", 3)[:3]:
        line = _QUOTE.sub("", line)
        if line.strip():
            found = _label(line)
            return found is not None and found[0] in {"from", "date", "subject"}
    return False


def _label(line: str) -> tuple[str, str] | None:
    match = _LINE.match(line.replace("\u00a0", " "))
    if match is None:
        return None
    label = " ".join(match["label"].lower().split())
    for name, labels in (("from", _FROM), ("date", _DATE), ("subject", _SUBJECT)):
        if label in labels:
            return name, match["value"]
    return ("other", match["value"]) if len(label) <= 24 else None


def _is_from(line: str) -> bool:
    found = _label(line)
    return found is not None and found[0] == "from" and bool(found[1])


def _block_start(lines: list[str], from_line: int) -> int:
    """Thunderbird puts Subject and Date above From: walk back over labelled lines."""
    first = from_line
    while first > 0 and from_line - first < MAX_BLOCK_LINES:
        previous = _QUOTE.sub("", lines[first - 1])
        found = _label(previous)
        if found is None or (found[0] == "other" and not found[1]):
            break
        first -= 1
    return first


def _fields(lines: list[str], first: int) -> tuple[dict[str, str], int]:
    """The labelled fields from ``first`` to the blank line; and where the body starts."""
    fields: dict[str, str] = {}
    index = first
    while index < len(lines) and index - first < MAX_BLOCK_LINES:
        line = _QUOTE.sub("", lines[index])
        if not line.strip():
            break
        found = _label(line)
        if found is None:
            break
        fields.setdefault(found[0], found[1])
        index += 1
    while index < len(lines) and not _QUOTE.sub("", lines[index]).strip():
        index += 1
    return fields, index


def _sender(value: str) -> tuple[str, str]:
    # Outlook writes "Name [mailto:address]" as well as "Name <address>".
    value = re.sub(r"\[mailto:([^\]\s]+)\]", r"<\1>", value).replace("*", "")
    name, address = parseaddr(value)
    if "@" not in address:
        return value.strip().strip('"'), ""  # a name alone
    return name.strip().strip('"'), address.strip().lower()


def _before(lines: list[str]) -> str:
    kept = [_QUOTE.sub("", line) if line.lstrip().startswith(">") else line for line in lines]
    while kept and (not kept[-1].strip() or _INTRO.match(kept[-1])):
        kept.pop()
    return "\n".join(kept).strip()
