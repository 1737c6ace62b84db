"""The words due dates and recurrences are read from, and the tokenizer that reads a line.

The tables cover English, German, French and Spanish. Words are matched lower-cased and
without accents ("März" -> "marz"): `fold` does that one character for one, so the
offsets of the folded line still match the line as written.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple, TypeVar

_K = TypeVar("_K")


def _vocab(table: dict[_K, str]) -> dict[str, _K]:
    """Map each space-separated word of a table row to the row's key."""
    return {word: key for key, words in table.items() for word in words.split()}


def _anchor_table(table: str) -> tuple[tuple[tuple[str, ...], str, str, bool], ...]:
    """(words, language, strength, means until) rows of an anchor table, longest first."""
    rows = []
    for line in table.strip().splitlines():
        phrases, spec = line.split(":")
        lang, strength, *until = spec.split()
        rows += [(tuple(p.split()), lang, strength, bool(until)) for p in phrases.split("/")]
    return tuple(sorted(rows, key=lambda row: -len(row[0])))


def word_set(words: str) -> frozenset[str]:
    """A set of space-separated words."""
    return frozenset(words.split())


def _phrases(table: dict[_K, str]) -> dict[tuple[str, ...], _K]:
    """Map each "/"-separated phrase of a table row, as a tuple of words, to the row's key."""
    return {tuple(p.split()): key for key, phrases in table.items() for p in phrases.split("/")}


# fmt: off
# Words are matched lower-cased and without accents ("März" -> "marz").
WEEKDAYS = _vocab({
    0: "monday montag lundi lunes", 1: "tuesday dienstag mardi martes",
    2: "wednesday mittwoch mercredi miercoles", 3: "thursday donnerstag jeudi jueves",
    4: "friday freitag vendredi viernes", 5: "saturday samstag samedi sabado",
    6: "sunday sonntag dimanche domingo"})
# English abbreviations only after English anchors: French "mon" is "my".
WEEKDAY_ABBR = _vocab({0: "mon", 1: "tue tues", 2: "wed", 3: "thu thur thurs", 4: "fri",
                       5: "sat", 6: "sun"})
WEEKDAYS_PLURAL = _vocab({
    0: "mondays montags lundis", 1: "tuesdays dienstags mardis",
    2: "wednesdays mittwochs mercredis", 3: "thursdays donnerstags jeudis",
    4: "fridays freitags vendredis", 5: "saturdays samstags samedis sabados",
    6: "sundays sonntags dimanches domingos"})
ANY_DAY = {**WEEKDAYS, **WEEKDAYS_PLURAL}
# Monday to Friday, and whether the words stand alone as a recurrence: a plural does
# ("on weekdays", "werktags", "les jours ouvrés", "entre semana"), a singular only after
# "every" ("every weekday", "jeden Werktag"). After a count both are a span of working
# days ("in 3 business days", "dans 3 jours ouvrés").
WORKDAYS = _phrases({
    True: "weekdays/workdays/business days/working days/werktags/werktage/werktagen/"
          "wochentags/wochentagen/arbeitstage/arbeitstagen/jours ouvres/jours ouvrables/"
          "jours de semaine/en semaine/dias laborables/dias habiles/dias de semana/entre semana",
    False: "weekday/workday/business day/working day/werktag/wochentag/arbeitstag/jour ouvre/"
           "jour ouvrable/jour de semaine/dia laborable/dia habil/dia de semana"})
# Weeks said in days: "dans quinze jours" and "in acht Tagen" mean two weeks and one.
WEEKS_IN_DAYS = _phrases({
    2: "quinze jours/quince dias/vierzehn tage/vierzehn tagen",
    1: "huit jours/ocho dias/acht tage/acht tagen"})
# A number before these is a share, not a day: "el 15 por ciento", "by 15 percent".
PERCENT = (("percent",), ("per", "cent"), ("prozent",), ("pour", "cent"), ("por", "ciento"))
# "Monday to Friday", "montags bis freitags", "du lundi au vendredi", "de lunes a viernes";
# a hyphen between two days ("Mon-Fri") does the same.
RANGE_TO = word_set("to through thru bis au a hasta")
# Before the day a weekly or monthly rule falls on: "weekly on Monday", "jeden Monat am
# 15.", "chaque semaine le lundi", "cada mes el 1".
ON_DAY = word_set("on am le les el los")
# "Every other" said after the day or the period: "un vendredi sur deux", "une semaine
# sur deux", "un viernes sí y otro no", "viernes por medio".
EVERY_OTHER_AFTER = (("sur", "deux"), ("si", "y", "otro", "no"), ("si", "y", "otra", "no"),
                     ("por", "medio"))
MONTHS = _vocab({
    1: "january jan januar janner janvier enero", 2: "february feb februar fevrier febrero",
    3: "march mar marz maerz mars marzo", 4: "april apr avril abril", 5: "may mai mayo",
    6: "june jun juni juin junio", 7: "july jul juli juillet julio", 8: "august aug aout agosto",
    9: "september sep sept septembre septiembre", 10: "october oct oktober octobre octubre",
    11: "november nov novembre noviembre", 12: "december dec dezember decembre diciembre"})
PERIODS = _vocab({
    "day": "day days tag tage tagen jour jours dia dias",
    "week": "week weeks woche wochen semaine semaines semana semanas",
    "month": "month months monat monate monaten monats mois mes meses",
    "quarter": "quarter quarters quartal quartals trimestre trimestres",
    "year": "year years jahr jahre jahren jahres annee annees ans ano anos",
    "weekend": "weekend wochenende", "fortnight": "fortnight fortnights",
    "hour": "hour hours stunde stunden heure heures hora horas"})
NUMBERS = _vocab({
    1: "a an one ein eine einer einem un une una uno", 2: "two zwei deux dos couple",
    3: "three drei trois tres few", 4: "four vier quatre cuatro", 5: "five funf cinq cinco",
    6: "six sechs seis", 7: "seven sieben sept siete", 8: "eight acht huit ocho",
    9: "nine neun neuf nueve", 10: "ten zehn dix diez", 11: "eleven elf onze once",
    12: "twelve zwolf douze doce"})
ORDINALS = _vocab({
    1: "first 1st erste ersten erstes 1. premier 1er primer primero",
    2: "second 2nd zweite zweiten zweites 2. deuxieme seconde segundo",
    3: "third 3rd dritte dritten drittes 3. troisieme tercer tercero",
    4: "fourth 4th vierte vierten viertes 4. quatrieme cuarto"})
# "Every other Friday": the words that make a recurrence skip every second turn.
ALTERNATE = word_set("other alternate second zweite zweiten zweites")
FILLERS = word_set("the of der die das dem den des zum zur von le la les l' au du de d' el los "
                   "las del al")
ARTICLES = word_set("the der dem den zum le la l' el del al")
THIS = word_set("this current coming upcoming diese dieser dieses diesem diesen ce cet cette "
                "este esta")
NEXT = word_set("next nachste nachsten nachster nachstes naechste naechsten kommende kommenden "
                "prochain prochaine proximo proxima following")
END = word_set("end ende fin final finales fines")  # "a finales de mes", "a fines de año"
IN = word_set("in within innerhalb binnen dans en dentro")
# A date right after these is not a deadline but a start, or in the past.
START = word_set("from starting start starts beginning after ab nach partir apres desde despues")
PAST = word_set("since last past seit depuis")
# Right after a date these make it a past one: "el lunes pasado", "le 15 mars dernier".
PAST_AFTER = word_set("last past pasado dernier letzten")
# A period named after these is what the commitment is about, not when it is due:
# "priorities for Q1", "plan for next week". French "pour" and Spanish "para" are left
# out: they are the ordinary way to say "by" ("pour vendredi", "para el viernes").
SCOPE = word_set("for fur")
EVERY = word_set("every each jeden jede jeder jedes alle chaque cada")
# Parts of the day, by the English word the recurrence label shows ("every morning").
DAYPARTS = _vocab({
    "morning": "morning mornings morgen matin matins manana mananas",
    "afternoon": "afternoon afternoons nachmittag nachmittage tarde tardes",
    "evening": "evening evenings abend abende soir soirs",
    "night": "night nights nacht nachte nuit nuits noche noches"})
# German "Morgen" and Spanish "mañana" are tomorrow, unless one of these makes them the
# morning: "am Morgen", "jeden Morgen", "heute Morgen", "por la mañana", "cada mañana".
DAYPART_MARKERS = word_set("am jeden jede jedem heute gestern guten den diesen diesem eines "
                           "la esta cada una toda las esa")
TIMES_WORDS = word_set("times time x mal fois veces vez")
TIMES_COUNT = {"once": 1, "twice": 2, "thrice": 3, "einmal": 1, "zweimal": 2, "dreimal": 3,
               "viermal": 4, "funfmal": 5}
PER = word_set("a an per each every pro die in der par por la al the")
DETERMINERS = word_set("the a an my our your his her their this that der die das ein eine le la "
                       "les un une mon ma el los las su")
ADVERBS: dict[str, tuple[str, int, str]] = _vocab({
    ("DAILY", 1, "daily"): "daily nightly taglich quotidien quotidienne quotidiennement diario "
                           "diariamente",
    ("WEEKLY", 1, "weekly"): "weekly wochentlich hebdomadaire semanal semanalmente",
    ("WEEKLY", 2, "every other week"): "biweekly fortnightly",
    ("MONTHLY", 1, "monthly"): "monthly monatlich mensuel mensuelle mensuellement mensual "
                               "mensualmente",
    ("MONTHLY", 3, "quarterly"): "quarterly vierteljahrlich quartalsweise trimestriel",
    ("YEARLY", 1, "yearly"): "yearly annually jahrlich annuel annuelle anual anualmente"})

# Anchor strengths: "by" (our rules, then dateparser), "on" (exact dates and "the 15th"),
# "in" (also a month or year alone), and none (only phrases that are always dates).
# A named period (Q1, March, 2027) is a due date only after "by" or "in" strength: the
# deadline words. "Q1 planning" and "objectifs pour le T1" name a period and no deadline.
# "en" is French and Spanish alike ("en décembre", "en el primer trimestre").
STRONG, WEAK, IN_MONTH, BARE = "strong", "weak", "in", "bare"
# "phrases: language strength [until]"; "until" anchors also end a recurrence.
ANCHORS = _anchor_table("""
    no later than/not later than/due date/due by/due on/due/deadline/by/before: en strong
    until/till/til/through: en strong until
    on: en weak
    in: en in
    bis spatestens/spatestens/fallig: de strong
    bis: de strong until
    am/vor: de weak
    im: de in
    d' ici/avant/au plus tard/echeance: fr strong
    jusqu': fr strong until
    pour: fr weak
    au/en: fr in
    antes de/antes del/a mas tardar/fecha limite: es strong
    hasta: es strong until
    para/el: es weak
""")
EOD = (("eod",), ("cob",), ("eob",), ("end", "of", "day"), ("end", "of", "the", "day"),
       ("end", "of", "business"), ("close", "of", "business"), ("noon",), ("midday",),
       ("midnight",))
# (words, days from today); longer sequences first. "morgen" and "manana" are also the
# morning: see DAYPART_MARKERS.
RELATIVE: tuple[tuple[tuple[str, ...], int], ...] = (
    (("day", "after", "tomorrow"), 2), (("apres", "demain"), 2), (("pasado", "manana"), 2),
    (("this", "morning"), 0), (("this", "afternoon"), 0), (("this", "evening"), 0),
    (("ce", "soir"), 0), (("esta", "noche"), 0), (("aujourd'", "hui"), 0), (("today",), 0),
    (("tonight",), 0), (("heute",), 0), (("hoy",), 0), (("tomorrow",), 1), (("tmrw",), 1),
    (("tmw",), 1), (("tmr",), 1), (("demain",), 1), (("ubermorgen",), 2), (("morgen",), 1),
    (("manana",), 1))
SINGLE_END = {"eow": "week", "eom": "month", "eoq": "quarter", "eoy": "year",
              "monatsende": "month", "quartalsende": "quarter", "jahresende": "year",
              "wochenende": "weekend"}
# fmt: on

_TOKEN = re.compile(
    r"(?P<iso>\d{4}-\d{1,2}-\d{1,2})(?!\d)"
    r"|(?P<num>\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?\.?)(?![\d/])"
    r"|(?P<clock>\d{1,2}(?::\d{2})?\s?[ap]\.?m\b\.?|\d{1,2}:\d{2}|\d{1,2}h(?:\d{2})?\b)"
    r"|(?P<quarter>[qt][1-4])\b"  # T1 is the French and Spanish Q1
    r"|(?P<number>\d+(?:st|nd|rd|th|er|x|\.)?)(?![^\W_])"
    r"|(?P<word>[^\W\d_]{1,8}'(?=[^\W\d_])|[^\W\d_]+)"
)
CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]]")


class Tok(NamedTuple):
    """One token of a folded line: its kind (a group of the token pattern), text and offsets."""

    kind: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Ctx:
    """A line being read: its tokens, the "today" its dates count from, its anchor's language."""

    raw: str  # the line as written
    line: str  # the same line folded, character for character
    toks: list[Tok]
    today: date
    now: datetime
    lang: str | None = None

    def word(self, i: int) -> str:
        """The folded text of token i, or "" past the end."""
        return self.toks[i].text if 0 <= i < len(self.toks) else ""

    def seq(self, i: int, words: tuple[str, ...]) -> int | None:
        """The index after `words` when they start at token i."""
        if not words:
            return i
        if not 0 <= i < len(self.toks) or self.toks[i].text != words[0]:
            return None  # the common case, found without building a tuple
        n = len(words)
        return i + n if tuple(t.text for t in self.toks[i : i + n]) == words else None

    def gap(self, i: int) -> str:
        """The raw text between token i-1 and token i."""
        return (
            self.line[self.toks[i - 1].end : self.toks[i].start] if 0 < i < len(self.toks) else ""
        )

    def skip(self, i: int, words: frozenset[str]) -> int:
        """The first index from i whose token is not in `words`."""
        while self.word(i) in words:
            i += 1
        return i


def fold(text: str) -> str:
    """Lower-case and strip accents, one character for one so offsets still match.

    >>> fold("Bis Ende des Monats, d\u2019ici février")
    "bis ende des monats, d'ici fevrier"
    """
    if text.isascii():  # the common case, and str.lower() keeps ASCII one for one
        return text.lower()
    return "".join(_fold_char(ch) for ch in text)


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch == "\u2019":
        return "'"
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    low = base.lower()
    return low if len(low) == 1 else ch


def tokens(line: str) -> list[Tok]:
    """Split a folded line into typed tokens."""
    return [
        Tok(m.lastgroup or "word", m.group(), m.start(), m.end()) for m in _TOKEN.finditer(line)
    ]
