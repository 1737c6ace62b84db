"""What a message to commit@ says beside its commitments.

Greetings, thanks and good wishes, sign-offs, intros ("My goals for this week"),
questions, requests to the partner ("Would you keep me honest?"), lines spoken to
someone by name ("Pat, I'm counting on you") and notes on who is in Cc are never
commitments, with or without a bullet in front. Their words sit in one table, one
row per language; the shapes that use them are below it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum


class Aside(StrEnum):
    """A kind of line that is not a commitment."""

    GREETING = "greeting"
    PLEASANTRY = "pleasantry"
    SIGN_OFF = "sign-off"
    INTRO = "intro"
    QUESTION = "question"
    REQUEST = "request"
    ADDRESSED = "addressed"
    CC_NOTE = "cc note"


@dataclass(frozen=True)
class Phrases:
    """The words of one language, as regular expressions matched without case."""

    greetings: tuple[str, ...]  # opens a line, before a name: "Hi", "Liebe"
    groups: tuple[str, ...]  # whom a greeting or a request may name: "team", "zusammen"
    pleasantries: tuple[str, ...]  # the whole line, but for a name and punctuation: "Thanks!"
    pleasantry_openers: tuple[str, ...]  # whatever follows: "Thanks for ...", "Hope you ..."
    sign_offs: tuple[str, ...]  # before an optional name: "Best regards, Anna"
    intro_nouns: tuple[str, ...]  # "goals" in "Here are my goals for the week"
    intro_words: tuple[str, ...]  # every other word such an intro may have
    requests: tuple[str, ...]  # asks the reader to act: "Would you", "Bitte", "Peux-tu"
    you: tuple[str, ...]  # second-person words: a line holding one speaks to someone
    cc_notes: tuple[str, ...]  # found anywhere: "I've cc'd Pat", "Pat est en copie"


# fmt: off
PHRASES: dict[str, Phrases] = {
    "en": Phrases(
        greetings=("hi", "hello", "hey", "hiya", "howdy", "dear", "greetings", "morning",
                   "good (?:morning|afternoon|evening)"),
        groups=("all", "team", "everyone", "everybody", "folks", "there", "guys", "friends",
                "y'all", "you all", "both", "pactmail"),
        pleasantries=("thanks", "thank you", "thx", "many thanks", "cheers",
                      "thanks (?:a lot|so much|again|in advance|a bunch|a million)",
                      "thank you (?:so much|very much|again|in advance)", "much appreciated",
                      "appreciate it", "wish me luck", "fingers crossed", "here goes",
                      "have a (?:nice|good|great|lovely) (?:day|week|weekend|evening)"),
        pleasantry_openers=("thanks (?:so much |again |a lot )?for", "thank you (?:so much )?for",
                            "many thanks for", "hope (?:you|all|this|everything|your)",
                            "i hope (?:you|all|this|everything|your)",
                            "(?:i )?appreciate (?:you|your|it)", "looking forward to"),
        sign_offs=("thanks", "thank you", "many thanks", "thanks again", "thx", "cheers",
                   "best", "best regards", "best wishes", "kind regards", "warm regards",
                   "warmly", "regards", "sincerely", "yours", "all the best", "talk soon",
                   "take care", "br", "kr", "rgds"),
        # "plan" and "list" are verbs too ("Plan the offsite"): only after "my", "the"...,
        # and so in every language, since all rows are read together.
        intro_nouns=("commitments?", "goals?", "pacts?", "promises", "plans", "to-?dos",
                     "tasks", "priorities", "resolutions", "(?:my|our|the|week's) plan",
                     "(?:my|our|the) (?:to-?do )?list"),
        intro_words=("here", "are", "is", "here's", "these", "this", "below", "my", "our",
                     "new", "weekly", "for", "the", "next", "coming", "week", "week's",
                     "today", "month", "year", "quarter", "weekend", "what", "i'm", "i",
                     "am", "committing", "to", "so", "far", "current", "latest", "updated"),
        requests=("(?:would|could|can|will|do|did|are|have) you", "please", "pls", "plz",
                  "feel free", "let me know", "keep me", "hold me", "remind me",
                  "check in (?:on|with) me", "nudge me", "ping me", "challenge me",
                  "call me out", "kick my", "make sure i", "you(?:'re|'ll|'d)?",
                  "any (?:thoughts|feedback|tips|ideas)"),
        you=("you", "your", "yours", "you're", "you'll", "you'd", "y'all"),
        cc_notes=("cc[' -]?(?:d|ed|ing)", "in cc", "^cc\\s*:", "copying in", "copied in"),
    ),
    "de": Phrases(
        greetings=("hallo", "hi", "hey", "liebe[rs]?", "sehr geehrte[rs]?",
                   "guten (?:morgen|tag|abend)", "moin(?: moin)?", "servus", "grüß dich",
                   "grüezi", "hoi"),
        groups=("zusammen", "alle", "ihr", "ihr beiden", "team", "leute"),
        pleasantries=("danke(?: schön| sehr| dir| euch| ihnen)?", "vielen dank",
                      "herzlichen dank", "tausend dank", "merci", "drück mir die daumen",
                      "(?:ein )?schönes wochenende", "(?:eine )?schöne woche",
                      "(?:einen )?schönen (?:tag|abend)"),
        pleasantry_openers=("danke (?:dir |euch |ihnen )?(?:für|fürs)",
                            "vielen dank (?:für|fürs)", "(?:ich )?hoffe,? (?:es|dir|du|ihr|sie)",
                            "ich freue mich"),
        sign_offs=("viele grü(?:ß|ss)e", "beste grü(?:ß|ss)e", "liebe grü(?:ß|ss)e",
                   "herzliche grü(?:ß|ss)e", "mit freundlichen grü(?:ß|ss)en",
                   "freundliche grü(?:ß|ss)e", "grü(?:ß|ss)e", "gruß", "lg", "vg", "mfg",
                   "bis bald", "ciao", "danke", "vielen dank"),
        intro_nouns=("ziele", "vorsätze", "aufgaben", "vorhaben", "commitments", "pläne",
                     "(?:mein|unser|der) plan", "zusagen", "prioritäten", "to-?dos",
                     "wochenziele"),
        intro_words=("hier", "sind", "ist", "das", "meine", "mein", "unsere", "für", "diese",
                     "dieser", "die", "der", "nächste", "kommende", "woche", "heute", "neue",
                     "neuen", "aktuellen", "wöchentlichen", "monat", "bis", "jetzt"),
        requests=("(?:kannst|könntest|würdest|magst|willst|hast|bist) du",
                  "(?:können|könnten|würden|möchten) sie", "könnt ihr", "bitte", "halte mich",
                  "hak(?:e|t)? (?:mal )?nach", "erinner(?:e|t)? mich", "frag(?:e|t)? mich",
                  "sag(?:e|t)? (?:mir|bescheid)", "gib mir bescheid", "meld(?:e|et)? dich",
                  "du", "ihr (?:könnt|dürft)", "sie (?:können|dürfen)"),
        you=("du", "dich", "dir", "dein", "deine", "deinen", "euch", "ihr", "eure",
             "(?-i:Sie)", "(?-i:Ihnen)", "(?-i:Ihre)"),
        cc_notes=("in (?:cc|kopie)", "cc gesetzt", "in die kopie", "(?:cc|kopie) genommen"),
    ),
    "fr": Phrases(
        greetings=("bonjour", "bonsoir", "salut", "coucou", "hello", "cher", "chère", "chers",
                   "chères"),
        groups=("à tous", "à toutes", "tout le monde", "l'équipe", "équipe", "vous deux"),
        pleasantries=("merci(?: beaucoup| bien| encore| d'avance| à toi| à vous)?",
                      "mille mercis", "bonne (?:journée|semaine|soirée|fin de semaine)",
                      "bon week-end", "bon courage", "souhaite-moi bonne chance"),
        pleasantry_openers=("merci (?:beaucoup |encore )?(?:pour|d'avoir|de ton|de votre)",
                            "j'espère que", "au plaisir de"),
        sign_offs=("merci", "cordialement", "bien cordialement", "bien à vous", "bien à toi",
                   "bises", "grosses bises", "bisous", "amitiés", "à bientôt", "à plus",
                   "belle journée", "salutations", "meilleures salutations"),
        intro_nouns=("engagements", "objectifs", "résolutions", "tâches", "priorités",
                     "promesses", "(?:mon|notre|le) (?:plan|programme)", "to-?dos?"),
        intro_words=("voici", "voilà", "mes", "mon", "nos", "pour", "cette", "ce", "la",
                     "le", "les", "de", "du", "semaine", "prochaine", "mois", "jour",
                     "aujourd'hui", "nouveaux", "nouvelles", "hebdomadaires", "ci-dessous",
                     "sont", "à", "venir", "en", "cours"),
        requests=("(?:pourrais|peux|voudrais|veux|pourras)-tu",
                  "(?:pourriez|pouvez|voudriez|voulez)-vous", "est-ce que",
                  "tu (?:peux|pourrais|pourras|veux|me|m')", "vous (?:pouvez|pourriez|me|m')",
                  "merci de", "merci d'", "s'il te plaît", "s'il vous plaît", "stp", "svp",
                  "n'hésite(?:z)? pas", "relance-moi", "rappelle-moi", "dis-moi", "tiens-moi",
                  "secoue-moi"),
        you=("tu", "te", "t'", "toi", "ton", "ta", "tes", "vous", "votre", "vos"),
        cc_notes=("en copie", "en cc"),
    ),
    "es": Phrases(
        greetings=("hola", "buenos días", "buenas tardes", "buenas noches", "buenas",
                   "querid[oa]s?", "estimad[oa]s?", "qué tal"),
        groups=("a todos", "todos", "equipo", "chicos", "chicas", "amigos"),
        pleasantries=("gracias", "muchas gracias", "mil gracias", "gracias de antemano",
                      "gracias otra vez", "que tengas (?:un )?buen (?:día|fin de semana)",
                      "buen fin de semana", "feliz (?:semana|día|fin de semana)",
                      "deséame suerte", "un saludo"),
        pleasantry_openers=("(?:muchas )?gracias por", "espero que", "ojalá"),
        sign_offs=("saludos", "un saludo", "saludos cordiales", "gracias", "muchas gracias",
                   "atentamente", "un abrazo", "abrazos", "besos", "hasta pronto",
                   "nos vemos", "cordialmente"),
        intro_nouns=("compromisos", "objetivos", "metas", "tareas", "propósitos",
                     "prioridades", "(?:mi|nuestro|el) plan", "pendientes"),
        intro_words=("aquí", "van", "están", "estos", "estas", "son", "mis", "mi", "nuestros",
                     "para", "esta", "este", "la", "el", "los", "las", "de", "semana",
                     "próxima", "mes", "hoy", "nuevos", "semanales"),
        requests=("puedes", "podrías", "podéis", "quieres", "(?:puede|podría) usted",
                  "por favor", "no dudes", "recuérdame", "avísame", "dime", "pregúntame",
                  "me ayudas", "te pido", "tú", "usted"),
        you=("tú", "te", "ti", "tu", "tus", "usted", "vosotros", "os", "contigo"),
        cc_notes=("en copia", "en cc", "con copia a"),
    ),
}
# fmt: on


def _union(parts: Iterable[str]) -> str:
    """One alternation of the fragments, longest first so that "thanks for" wins."""
    return "|".join(sorted(set(parts), key=len, reverse=True))


def _words(field: str) -> str:
    return _union(word for phrases in PHRASES.values() for word in getattr(phrases, field))


# A name as a greeting or a vocative uses it: capitalised, "Mr." and "O'Neil" included.
_NAME = r"(?-i:[A-ZÀ-ÖØ-Þ])[\w.'-]*+"
_NAMES = rf"{_NAME}(?:\s++(?:and|und|et|y|&)\s++{_NAME}|\s++{_NAME}){{0,2}}"
# Punctuation or an emoji, or the end of the line; a colon only there ("Morning: run" is a plan).
_END = r"(?:[^\w\s:]+\s*+|:?\s*+$)"

_GREETING = re.compile(
    rf"^¡?(?:{_words('greetings')})\b(?:[\s,]++(?:{_NAMES}|(?:{_words('groups')})\b))?\s*+{_END}",
    re.IGNORECASE,
)
_VOCATIVE = re.compile(
    rf"^(?:@?(?P<name>{_NAMES}|(?i:{_words('groups')}))(?:\s*+[,:]|\s++[-\u2013\u2014](?=\s))"
    rf"|@(?P<handle>\w+)\s)\s*(?P<rest>\S.*)$"
)
_PLEASANTRY = re.compile(
    rf"^(?:(?:{_words('pleasantries')})(?:[\s,]++{_NAMES})?\s*+{_END}"
    rf"|(?:{_words('pleasantry_openers')})\b)",
    re.IGNORECASE,
)
SIGN_OFF = re.compile(
    rf"^(?i:{_words('sign_offs')})[\s,.!-]*+(?:{_NAMES})?[\s,.!]*+$",
)
# Only the words of an intro, a noun among them or not: "Here are my goals for the week".
# Each word is taken once and for all (an atomic group): "my plan" reads as one noun or
# as two words, and trying both at every word takes exponential time.
_INTRO = re.compile(
    rf"^(?:(?>(?:{_words('intro_nouns')}|{_words('intro_words')})(?=\s|[.!:]*$))\s*[.!:]*)+$",
    re.IGNORECASE,
)
_WORD_END = r"(?:(?<=['-])|(?!\w))"  # "merci d'" ends where the next word starts
_REQUEST = re.compile(rf"^(?:{_words('requests')}){_WORD_END}", re.IGNORECASE)
_YOU = re.compile(rf"(?<!\w)(?:{_words('you')}){_WORD_END}", re.IGNORECASE)
_CC_NOTE = re.compile(rf"(?:^|(?<=\W))(?:{_words('cc_notes')}){_WORD_END}", re.IGNORECASE)
_GROUP = re.compile(_words("groups"), re.IGNORECASE)
# Closing quotes, brackets and dots may follow a question mark, and so may emoji.
_CLOSERS = frozenset(")]\"'»\u201d\u2019.!…")

_SHAPES: tuple[tuple[Aside, re.Pattern[str]], ...] = (
    (Aside.PLEASANTRY, _PLEASANTRY),
    (Aside.SIGN_OFF, SIGN_OFF),
    (Aside.INTRO, _INTRO),
    (Aside.REQUEST, _REQUEST),
)


def aside(text: str, addressees: Collection[str] = ()) -> Aside | None:
    """What kind of aside a line or sentence is; None when it may be a commitment.

    ``addressees`` are the first names of the people the message invites: a
    line that starts with one of them and speaks to them is not a commitment.

    >>> aside("Pat, would you keep me honest on these?")
    <Aside.QUESTION: 'question'>
    >>> aside("Please hold me to these."), aside("Pat, please hold me to these.")
    (<Aside.REQUEST: 'request'>, <Aside.ADDRESSED: 'addressed'>)
    >>> aside("Thanks for doing this, Pat!")
    <Aside.PLEASANTRY: 'pleasantry'>
    >>> aside("Pat, I'm counting on you.", addressees={"pat"})
    <Aside.ADDRESSED: 'addressed'>
    >>> aside("Finish the report by Friday") is None
    True
    """
    text = _plain(text)
    if is_question(text):
        return Aside.QUESTION
    if _CC_NOTE.search(text):
        return Aside.CC_NOTE
    rest = without_greeting(text)
    if not rest:
        return Aside.GREETING
    vocative = _VOCATIVE.match(rest)
    if vocative:
        rest = vocative["rest"]
        if _speaks_to(vocative["name"] or vocative["handle"], rest, addressees):
            return Aside.ADDRESSED
    return next((kind for kind, shape in _SHAPES if shape.match(rest)), None)


def is_question(text: str) -> bool:
    """Whether the text asks: it ends with a question mark, or opens with "¿".

    >>> is_question("Finish it by Friday (or Monday?)"), is_question("Tu peux me relancer ?")
    (True, True)
    """
    end = len(text)
    while end and (
        text[end - 1] in _CLOSERS
        or text[end - 1].isspace()
        or unicodedata.category(text[end - 1]) == "So"
    ):
        end -= 1
    return text[:end].endswith(("?", "\uff1f")) or text.lstrip().startswith("¿")


def without_greeting(text: str) -> str:
    """The text after a greeting that opens it.

    >>> without_greeting("Hi Pat, I'll finish the report by Friday.")
    "I'll finish the report by Friday."
    >>> without_greeting("Hello World demo for the kids")
    'Hello World demo for the kids'
    """
    # The same length as the text, so that what follows the greeting is cut from it as written.
    greeting = _GREETING.match(text.replace("\u2019", "'"))
    return text[greeting.end() :].strip() if greeting else text.strip()


def first_name(name_or_address: str) -> str:
    """The first name a person is spoken to by, lower case: from a display name,
    else from an address's local part.

    >>> first_name("Pat Smith"), first_name("Lee, Pat"), first_name("pat.lee@example.org")
    ('pat', 'pat', 'pat')
    """
    name = name_or_address.strip().strip("\"'")
    if "@" in name and " " not in name:
        name = re.sub(r"[._+-]+", " ", name.partition("@")[0])
    last, comma, first = name.partition(",")
    words = (first if comma and first.strip() else last).split()  # Outlook's "Lee, Pat"
    return words[0].casefold() if words else ""


def _speaks_to(name: str, rest: str, addressees: Collection[str]) -> bool:
    """Whether a line that starts with a name speaks to that person.

    Any name followed by a request or "you" does ("Pat, you're the best"); an
    invited partner's name or a group also does when "you" comes later ("Pat, I'm
    counting on you"), but "Monday, call the supplier" does not.
    """
    if _REQUEST.match(rest):
        return True
    known = name.split()[0].casefold() in addressees or _GROUP.fullmatch(name)
    return bool(known and _YOU.search(rest))


def _plain(text: str) -> str:
    """One line, typographic apostrophes as ASCII, single spaces, no opening "¡"."""
    return " ".join(text.replace("\u2019", "'").split()).lstrip("¡")
