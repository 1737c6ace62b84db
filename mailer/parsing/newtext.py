"""The new text of a reply: without quoted history, reply headers or signatures."""

import re
from bisect import bisect_right
from collections.abc import Iterator

from mailparser_reply.constants import MAIL_LANGUAGES
from mailparser_reply.parser import EmailMessage

MAX_CHARS = 50_000  # new text sits at the top; this bounds the work on huge bodies
# mail-parser-reply's header patterns backtrack polynomially on long lines ("On " * 30000
# took two minutes), so they only ever see lines cut to this length.
PATTERN_LINE_CAP = 200
WINDOW_LINES = 3  # a reply header wrapped by the sender's client spans at most this many
SIGNATURE_MAX_LINES = 10  # lines after a rule or "Sent from" that still make a signature
CLOSING_MAX_LINES = 4  # name, title, phone... after "Best regards"

# Every language mail-parser-reply knows: wrote-lines and Outlook blocks of all of them.
_LIBRARY_HEADERS = EmailMessage(text="", languages=list(MAIL_LANGUAGES)).HEADER_REGEX

_FROM_LABELS = (
    r"from|von|de|da|van|fra|från|frá|lähettäjä|od|от|feladó|kimden|από|expéditeur|"
    r"remetente|afzender|nadawca|发件人|寄件者|差出人|보낸\s?사람"
)
_OTHER_LABELS = (
    r"sent|to|cc|bcc|subject|date|reply-to|gesendet|an|betreff|datum|envoyé(?: le)?|à|a|objet|"
    r"para|enviado|enviada|asunto|assunto|fecha|data|inviato|oggetto|aan|verzonden|onderwerp|"
    r"sendt|til|emne|dato|skickat|till|ämne|kopia|lähetetty|vastaanottaja|aihe|päivämäärä|"
    r"wysłano|do|temat|отправлено|кому|тема|дата|копия|elküldve|címzett|tárgy|gönderildi|"
    r"kime|konu|tarih|odesláno|komu|předmět|发送时间|收件人|主题|抄送|日期|送信日時|宛先|件名|"
    r"받는\s?사람|보낸\s?날짜|제목|참조"
)
_LABEL = r"^[>\s]*\*{0,2}(?:%s)\*{0,2}\s*[:\uff1a]"
_FROM_LINE = re.compile(_LABEL % _FROM_LABELS, re.IGNORECASE)
_ANY_LABEL_LINE = re.compile(_LABEL % f"{_FROM_LABELS}|{_OTHER_LABELS}", re.IGNORECASE)
_WROTE = re.compile(
    r"\b(?:wrote|writes|a [ée]crit|schrieb|escreveu|escribi[óo]|ha scritto|scrisse|schreef|"
    r"skrev|kirjoitti|написал(?:а|\(а\))?|пишет|napisał(?:a|\(a\))?|napsal(?:a|\(a\))?|yazdı|"  # noqa: RUF001
    r"έγραψε|írta)(?!\w)|写道|寫道|님이 작성",
    re.IGNORECASE,
)
# Gmail in some languages (ru, ja) writes only "<date>, <name> <address>:".
_DATED_ADDRESS = re.compile(r"\d.*[<(\[]?[^\s<>()@]+@[^\s<>()@]+[>)\]]*\s*[:\uff1a]$")
_DATE_LIKE = re.compile(r"\d{1,2}[:.h]\d{2}|(?<!\d)(?:19|20)\d{2}(?!\d)|\d{4}年")
_OPENER = re.compile(r"^(?:on|le|am|em|el|il|op|den|dne|dnia|w dniu|kun|\d)\b|^\d", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^[>\s]*(?:-{2,}|_{2,}|={2,})?\s*(?:original message|ursprüngliche nachricht|"
    r"original-nachricht|message d'origine|message original|mensaje original|"
    r"mensagem original|messaggio originale|oorspronkelijk bericht|oprindelig meddelelse|"
    r"opprinnelig melding|ursprungligt meddelande|alkuperäinen viesti|исходное сообщение|"
    r"wiadomość oryginalna|původní zpráva|forwarded message|weitergeleitete nachricht|"
    r"message transféré|mensaje reenviado|mensagem encaminhada|begin forwarded message|"
    r"anfang der weitergeleiteten nachricht|début du message réexpédié)"
    r"\s*(?:-{2,}|_{2,}|={2,}|:)\s*$",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*(?:[-_=*~]{4,}|[\u2014\u2013\u2500\u2501]{2,})\s*$")
_SENT_FROM = re.compile(
    r"^\s*(?:sent from|sent via|sent with|sent using|get outlook for|envoyé de|envoyé depuis|"
    r"(?:obtenir|télécharger) outlook pour|(?:obtener|descargar) outlook para|"
    r"holen sie sich outlook|outlook für (?:ios|android) (?:beziehen|herunterladen)|"
    r"envoyé avec|von meinem .{1,40} gesendet|gesendet von|gesendet mit|enviado desde|"
    r"enviado do|enviado de meu|enviado via|inviato da|verzonden (?:vanaf|met)|verstuurd vanaf|"
    r"sendt fra|skickat från|lähetetty|отправлено (?:с|из)|wysłano z|odesláno z|从我的|"  # noqa: RUF001
    r"내 .{1,30}에서 보냄).{0,100}$",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"^\s*(?:(?:best|kind|warm|warmest|many|with kind)\s+regards|regards|best wishes|"
    r"all the best|best|cheers|sincerely|yours sincerely|yours truly|sincerely yours|yours|"
    r"take care|love|xoxo|br|rgds|kr|talk soon|speak soon|"
    r"(?:mit\s+)?(?:freundlichen|freundliche|viele|liebe|beste|besten|herzliche|herzlichen|"
    r"schöne|sonnige)?\s*gr(?:ü|ue)(?:ß|ss)(?:e|en)?|lg|vg|mfg|"
    r"(?:bien\s+)?cordialement|bien à vous|(?:meilleures\s+|sincères\s+)?salutations|amitiés|"
    r"bises|bisous|à bientôt|(?:un\s+)?saludos?(?:\s+cordiales)?|atentamente|cordialmente|"
    r"(?:un\s+)?abrazos?|abraços?|abs|atenciosamente|cumprimentos|att|beijos|"
    r"(?:cordiali|distinti)\s+saluti|saluti|un saluto|a presto|"
    r"(?:met\s+)?(?:vriendelijke|hartelijke)\s+groet(?:en)?|groeten|groetjes|mvg|"
    r"(?:med\s+)?(?:venlig|vennlig|vänliga?)\s+(?:hilsen|hälsningar)|hilsen|hilsner|"
    r"(?:de\s+)?bedste hilsner|mvh|vh|kh|(?:bästa\s+)?hälsningar|"
    r"(?:ystävällisin\s+|parhain\s+)?terveisin|(?:serdecznie\s+)?pozdrawiam|z poważaniem|"
    r"pozdrowienia|s pozdravem|с уважением|всего (?:доброго|хорошего)|saygılarımla)(?!\w)"  # noqa: RUF001
    r"(?P<rest>[^\w\n]*(?:\w[\w.'-]*(?:\s+\w[\w.'-]*){0,2})?[^\w\n]*)$",
    re.IGNORECASE,
)
_COLONS = (":", "\uff1a")  # fullwidth colon: Chinese and Japanese headers
_BLANK_RUNS = re.compile(r"\n{3,}")


def new_text(body: str) -> str:
    """The text the sender wrote in this message, without what it quotes or signs with."""
    lines = _normalise(body).split("\n")
    return strip_signature("\n".join(_unquoted(_own_region(lines))))


def strip_signature(text: str) -> str:
    """text without its trailing signature: "-- ", rules, "Sent from…", closing and name."""
    lines = _normalise(text).split("\n")
    cut = _signature_start(lines)
    lines = lines[:cut]
    closing = _closing_start(lines)
    return _tidy(lines[:closing] if closing is not None else lines)


def _normalise(text: str) -> str:
    """Newlines as \\n, no NUL, no trailing spaces, at most MAX_CHARS."""
    text = text[:MAX_CHARS].replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return "\n".join(line.rstrip() for line in text.split("\n"))


def _tidy(lines: list[str]) -> str:
    """Lines joined, runs of blank lines folded to one, blank ends dropped."""
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


# --- where the quoted history starts ----------------------------------------


def _own_region(lines: list[str]) -> list[str]:
    """The sender's lines: above the first reply header, below it, or written into its quote."""
    spans = _merged(sorted(_header_spans(lines)), lines)
    if not spans:
        return lines
    start, end = spans[0]
    # Headers inside the quote ("> On … wrote:") do not end what the sender wrote.
    following = [first for first, _ in spans if first > end and not _is_quoted(lines[first])]
    below = lines[end + 1 : following[0] if following else len(lines)]
    above = lines[:start]
    if not _has_own_words(above):
        return below  # bottom-posted
    if _is_attribution(lines[start]) and _answers_inline(below):
        return above + below  # the quote itself is dropped later
    return above


def _merged(spans: list[tuple[int, int]], lines: list[str]) -> list[tuple[int, int]]:
    """Spans joined where they touch: "Begin forwarded message:" and the block below it."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and not any(line.strip() for line in lines[merged[-1][1] + 1 : start]):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _is_attribution(line: str) -> bool:
    """True for an "On … wrote:" header, whose quote the client marks with '>'."""
    return not (_ANY_LABEL_LINE.match(line) or _SEPARATOR.match(line) or _RULE.match(line))


def _answers_inline(lines: list[str]) -> bool:
    """True when the sender wrote between the quoted lines (an inline reply)."""
    quoted = [n for n, line in enumerate(lines) if _is_quoted(line)]
    return bool(quoted) and _has_own_words(lines[quoted[0] :])


def _is_quoted(line: str) -> bool:
    """True for a line quoted with '>'."""
    return line.lstrip().startswith(">")


def _has_own_words(lines: list[str]) -> bool:
    """True when some line is neither blank, quoted, nor a signature."""
    return bool(strip_signature("\n".join(_unquoted(lines))))


def _unquoted(lines: list[str]) -> list[str]:
    """Lines not quoted with '>'."""
    return [line for line in lines if not _is_quoted(line)]


def _header_spans(lines: list[str]) -> Iterator[tuple[int, int]]:
    """(first line, last line) of every reply header: the library's and our own patterns."""
    yield from _library_spans(lines)
    for index in range(len(lines)):
        span = _own_span_at(lines, index)
        if span is not None:
            yield span


def _may_match_library(lines: list[str]) -> bool:
    """False when no header pattern of the library can match: the common fresh message.

    Every one of its patterns needs a colon (ASCII or fullwidth) except the
    "-----Original Message-----" rule; ruling them out is much cheaper than
    running them.

    >>> _may_match_library(["Run 5 km by Friday", "Anna"])
    False
    >>> _may_match_library(["-----Original Message-----"])
    True
    """
    return any(
        ":" in line or "\uff1a" in line or "original message" in line.lower() for line in lines
    )


def _library_spans(lines: list[str]) -> Iterator[tuple[int, int]]:
    """Headers found by mail-parser-reply, minus its single-label false positives."""
    # Its patterns are slow on long lines and on long runs of blank lines: they see
    # capped lines, blank runs folded to one, and positions are mapped back.
    if not _may_match_library(lines):
        return
    kept = [n for n, line in enumerate(lines) if line or n == 0 or lines[n - 1]]
    shadow = [lines[n][:PATTERN_LINE_CAP] for n in kept]
    starts = [0]
    for line in shadow[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    for match in _LIBRARY_HEADERS.finditer("\n".join(shadow)):
        text = match.group(0)
        if not text.strip():
            continue
        first = kept[bisect_right(starts, match.start() + len(text) - len(text.lstrip())) - 1]
        last = kept[bisect_right(starts, match.start() + len(text.rstrip()) - 1) - 1]
        if not _ANY_LABEL_LINE.match(lines[first]):
            yield first, last  # a wrote-line
            continue
        # Polish labels match one line ("Do: call mum" is a header to it): keep label
        # blocks only when they look like Outlook's, and end them at their last label
        # (the pattern also takes the line after, which may be the message itself).
        labelled = [n for n in range(first, last + 1) if _ANY_LABEL_LINE.match(lines[n])]
        if _is_label_block(lines[first : last + 1]):
            yield first, labelled[-1]


def _own_span_at(lines: list[str], index: int) -> tuple[int, int] | None:
    """A reply header starting or ending at line index, found by our own patterns."""
    line = lines[index]
    if _SEPARATOR.match(line):
        return index, index
    if _FROM_LINE.match(line):
        end = index
        for offset, other in enumerate(lines[index + 1 : index + 6], 1):
            if _ANY_LABEL_LINE.match(other):
                end = index + offset
            elif not other.strip():  # a blank line ends the block
                break
        return (index, end) if _is_label_block(lines[index : end + 1]) else None
    if line.endswith(_COLONS) and len(line) < 2 * PATTERN_LINE_CAP:
        return _wrote_span_ending(lines, index)
    return None


def _is_label_block(block: list[str]) -> bool:
    """True for an Outlook-style header block, not "From: Monday / To: Friday"."""
    labels = sum(bool(_ANY_LABEL_LINE.match(line)) for line in block)
    return labels >= 3 or (labels == 2 and any("@" in line for line in block))


def _wrote_span_ending(lines: list[str], end: int) -> tuple[int, int] | None:
    """The "On <date>, <name> wrote:" header ending at line end, wrapped or not."""
    if _is_wrote(lines[end]) and _OPENER.match(lines[end].lstrip("> ")):
        return end, end
    for start in range(max(0, end - WINDOW_LINES + 1), end + 1):
        first = lines[start]
        window = lines[start : end + 1]
        multi = start < end
        # A wrapped header's first line carries the date and never ends a sentence.
        if multi and (not _DATE_LIKE.search(first) or first.endswith((".", "!", "?"))):
            continue
        if all(part.strip() for part in window) and _is_wrote(" ".join(window)):
            return start, end
    return None


def _is_wrote(text: str) -> bool:
    """True for an attribution line: a date or address, a verb like 'wrote', a colon."""
    text = text.strip()
    if len(text) > 3 * PATTERN_LINE_CAP or not text.endswith(_COLONS):
        return False
    has_anchor = any(char.isdigit() or char == "@" for char in text)
    return has_anchor and bool(_WROTE.search(text) or _DATED_ADDRESS.search(text))


# --- where the signature starts ---------------------------------------------


def _signature_start(lines: list[str]) -> int:
    """Index of the first signature line ("-- ", a rule, "Sent from…"), or len(lines)."""
    filled_after = [0] * (len(lines) + 1)
    for index in range(len(lines) - 1, -1, -1):
        filled_after[index] = filled_after[index + 1] + bool(lines[index].strip())
    for index, line in enumerate(lines):
        if line.strip() == "--" and index > 0:
            return index
        short_tail = filled_after[index + 1] <= SIGNATURE_MAX_LINES
        if short_tail and (_RULE.match(line) or _SENT_FROM.match(line)):
            return index
    return len(lines)


def _closing_start(lines: list[str]) -> int | None:
    """Index of a closing like "Best regards" followed only by a short name block."""
    filled = [index for index, line in enumerate(lines) if line.strip()]
    for index in filled[-(CLOSING_MAX_LINES + 1) :]:
        match = _CLOSING.match(lines[index])
        after = [line for line in lines[index + 1 :] if line.strip()]
        own_words_before = any(line.strip() for line in lines[:index])
        if match and own_words_before and _is_name_block(match.group("rest"), after):
            return index
    return None


def _is_name_block(rest: str, after: list[str]) -> bool:
    """True when what follows a closing reads like a name and contact lines."""
    letters = [char for char in rest if char.isalpha()]
    if letters and not letters[0].isupper():  # "Best of luck" is a sentence, "Best, Ann" a name
        return False
    return len(after) <= CLOSING_MAX_LINES and all(len(line.strip()) <= 60 for line in after)
