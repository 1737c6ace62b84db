"""The due-date table: phrases in four languages, each read against a message's Date header
in the member's time zone, with the due date and the recurrence they must give.

The moments fall on different weekdays, and several on a day the member's zone and the
Date header's offset (or UTC) do not share, so a date counted from the wrong "today" fails.
Expected dates were worked out from the calendar: 1 November 2026 is a Sunday.
"""

from __future__ import annotations

from datetime import date
from email.utils import parsedate_to_datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest

from mailer.parsing.duedates import read_due


class Sent(NamedTuple):
    """When a message was sent: its Date header, the member's zone, and the member's day."""

    header: str
    zone: str
    local: str  # the day in the member's zone, as the rows below count from it


# fmt: off
WED = Sent("Wed, 25 Nov 2026 09:30:00 +0100", "Europe/Paris", "Wed 2026-11-25")
SUN = Sent("Sun, 29 Nov 2026 10:00:00 +0100", "Europe/Berlin", "Sun 2026-11-29")
# Still Sunday in UTC, already Monday 00:30 in Berlin.
MON_BERLIN = Sent("Sun, 29 Nov 2026 23:30:00 +0000", "Europe/Berlin", "Mon 2026-11-30")
# Tuesday in UTC, still Monday 21:00 in New York.
MON_NEW_YORK = Sent("Tue, 01 Dec 2026 02:00:00 +0000", "America/New_York", "Mon 2026-11-30")
# Saturday in UTC, still Friday 19:00 in Los Angeles.
FRI_LOS_ANGELES = Sent("Sat, 05 Dec 2026 03:00:00 +0000", "America/Los_Angeles", "Fri 2026-12-04")
# Written on a phone still set to Tokyo: Monday in the header, Sunday 23:30 in Madrid.
SUN_MADRID = Sent("Mon, 30 Nov 2026 07:30:00 +0900", "Europe/Madrid", "Sun 2026-11-29")
SAT_MADRID = Sent("Sat, 12 Dec 2026 11:00:00 +0100", "Europe/Madrid", "Sat 2026-12-12")
# New Year's Eve 23:30 in Mexico City: 2027 in UTC, still the last day of 2026's Q4 there.
NYE_MEXICO = Sent("Thu, 31 Dec 2026 23:30:00 -0600", "America/Mexico_City", "Thu 2026-12-31")
MOMENTS = (WED, SUN, MON_BERLIN, MON_NEW_YORK, FRI_LOS_ANGELES, SUN_MADRID, SAT_MADRID,
           NYE_MEXICO)

# The RRULE each recurrence label stands for in this table.
RRULES = {
    "every Monday": "FREQ=WEEKLY;BYDAY=MO",
    "every other Friday": "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR",
    "every weekday": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    "weekly": "FREQ=WEEKLY",
    "every other week": "FREQ=WEEKLY;INTERVAL=2",
    "3 times a week": "FREQ=WEEKLY",
    "every morning": "FREQ=DAILY",
    "monthly on the 1st": "FREQ=MONTHLY;BYMONTHDAY=1",
    "monthly on the 2nd": "FREQ=MONTHLY;BYMONTHDAY=2",
    "monthly on the 5th": "FREQ=MONTHLY;BYMONTHDAY=5",
}

# (phrase, sent, due date or None, recurrence label or None), by language.
TABLE: dict[str, list[tuple[str, Sent, str | None, str | None]]] = {
    "en": [
        ("Send the deck tomorrow", MON_BERLIN, "2026-12-01", None),
        ("Finish the budget by Friday", WED, "2026-11-27", None),
        ("Demo ready by Friday", FRI_LOS_ANGELES, "2026-12-04", None),
        ("Call the bank next Tuesday", MON_NEW_YORK, "2026-12-01", None),
        ("Review the contracts by the 15th", SUN, "2026-12-15", None),
        ("Reconcile accounts by the 31st", NYE_MEXICO, "2026-12-31", None),
        ("Close the books by end of month", NYE_MEXICO, "2026-12-31", None),
        ("Renew the licences by the end of the quarter", NYE_MEXICO, "2026-12-31", None),
        ("Plan the offsite by the end of next month", NYE_MEXICO, "2027-01-31", None),
        ("Hire two engineers by Q1", WED, "2027-03-31", None),
        ("Ship the beta in Q4", NYE_MEXICO, "2026-12-31", None),
        ("Renew the lease by Q2 2027", SUN, "2027-06-30", None),
        ("Draft the proposal in two weeks", SUN, "2026-12-13", None),
        ("Write the plan in 3 weeks", SUN_MADRID, "2026-12-20", None),
        ("Two weeks from now, send the survey", FRI_LOS_ANGELES, "2026-12-18", None),
        ("Answer the auditors in 3 business days", WED, "2026-11-30", None),
        ("Book flights the day after tomorrow", FRI_LOS_ANGELES, "2026-12-06", None),
        ("Send the report by EOD", FRI_LOS_ANGELES, "2026-12-04", None),
        ("Review the pipeline every Monday", SUN, "2026-11-30", "every Monday"),
        ("Weekly 1:1 prep every Monday", SUN, "2026-11-30", "every Monday"),
        ("Weekly 1:1 prep every Monday", MON_BERLIN, "2026-11-30", "every Monday"),
        ("Publish the newsletter weekly", WED, "2026-11-29", "weekly"),
        ("Team lunch every other Friday", SUN, "2026-12-04", "every other Friday"),
        ("Stand-up notes on weekdays", SUN, "2026-11-30", "every weekday"),
        ("Inbox zero on weekdays", FRI_LOS_ANGELES, "2026-12-04", "every weekday"),
        ("Meditate every morning", MON_NEW_YORK, "2026-11-30", "every morning"),
        ("Run three times a week", WED, "2026-11-29", "3 times a week"),
        ("Pay rent on the 1st of every month", NYE_MEXICO, "2027-01-01", "monthly on the 1st"),
        ("priorities for Q1 before our next session", WED, None, None),
        ("Q1 planning", SUN, None, None),
        ("Plan for next week", SUN, None, None),
        ("Read the Q3 report", WED, None, None),
        ("Review the March budget", WED, None, None),
        ("Stand by my team", WED, None, None),
        ("Increase revenue by 20 percent", WED, None, None),
        ("Move the 1:1 from Monday to Friday", WED, None, None),
    ],
    "de": [
        ("Bericht morgen abschicken", MON_BERLIN, "2026-12-01", None),
        ("Angebot bis Freitag", SUN, "2026-12-04", None),
        ("Nächsten Dienstag den Kunden anrufen", SUN, "2026-12-01", None),
        ("Rechnungen bis zum 15.", SUN, "2026-12-15", None),
        ("Abrechnung bis Ende des Monats", NYE_MEXICO, "2026-12-31", None),
        ("Inventur bis Ende des Quartals", SUN, "2026-12-31", None),
        ("Migration bis Q1", SUN, "2027-03-31", None),
        ("Budgetplanung im ersten Quartal", SUN, "2027-03-31", None),
        ("Konzept in 3 Wochen", SUN, "2026-12-20", None),
        ("Übermorgen die Folien schicken", MON_BERLIN, "2026-12-02", None),
        ("Jeden Montag Wochenplanung", MON_BERLIN, "2026-11-30", "every Monday"),
        ("Wöchentlich die Zahlen prüfen", SUN, "2026-11-29", "weekly"),
        ("Jeden zweiten Freitag Retro", WED, "2026-11-27", "every other Friday"),
        ("Werktags 30 Minuten lesen", SUN, "2026-11-30", "every weekday"),
        ("Montag bis Freitag joggen", SAT_MADRID, "2026-12-14", "every weekday"),
        ("Jeden Morgen meditieren", SUN, "2026-11-29", "every morning"),
        ("Miete am 1. jedes Monats überweisen", NYE_MEXICO, "2027-01-01", "monthly on the 1st"),
        ("Ziele für Q1", SUN, None, None),
        ("Q1-Planung abschließen", SUN, None, None),
        ("Am Morgen joggen", SUN, None, None),
    ],
    "fr": [
        ("Relancer le client demain", WED, "2026-11-26", None),
        ("Rapport d'ici vendredi", SUN, "2026-12-04", None),
        ("Appeler Paul mardi prochain", MON_NEW_YORK, "2026-12-01", None),
        ("Payer les factures avant le 15", SAT_MADRID, "2026-12-15", None),
        ("Bilan d'ici la fin du mois", NYE_MEXICO, "2026-12-31", None),
        ("Budget d'ici la fin du trimestre", WED, "2026-12-31", None),
        ("Recrutement d'ici le T1", WED, "2027-03-31", None),
        ("Refaire le site dans deux semaines", WED, "2026-12-09", None),
        ("Répondre au devis dans quinze jours", SUN, "2026-12-13", None),
        ("Point d'équipe tous les lundis", WED, "2026-11-30", "every Monday"),
        ("Revue un vendredi sur deux", SAT_MADRID, "2026-12-18", "every other Friday"),
        ("Trier les mails les jours ouvrés", SUN, "2026-11-30", "every weekday"),
        ("Marcher du lundi au vendredi", FRI_LOS_ANGELES, "2026-12-04", "every weekday"),
        ("Faire le point toutes les semaines", SUN, "2026-11-29", "weekly"),
        ("Payer le loyer le 5 de chaque mois", WED, "2026-12-05", "monthly on the 5th"),
        ("Objectifs pour le T1", WED, None, None),
        ("Planification du T1", WED, None, None),
    ],
    "es": [
        ("Llamar al proveedor mañana", SUN_MADRID, "2026-11-30", None),
        ("Enviar el informe el viernes", SUN, "2026-12-04", None),
        ("Cerrar el trato el viernes", FRI_LOS_ANGELES, "2026-12-04", None),
        ("Revisar el contrato el próximo martes", WED, "2026-12-01", None),
        ("Visitar la obra el martes que viene", SUN, "2026-12-01", None),
        ("Pagar las facturas para el 15", SAT_MADRID, "2026-12-15", None),
        ("Cerrar la contabilidad antes de fin de mes", NYE_MEXICO, "2026-12-31", None),
        ("Presupuesto antes de fin de trimestre", WED, "2026-12-31", None),
        ("Entregar la memoria para finales de mes", SUN, "2026-11-30", None),
        ("Lanzar la app en el primer trimestre", SUN, "2027-03-31", None),
        ("Terminar el informe en dos semanas", SUN, "2026-12-13", None),
        ("Reunión de equipo cada lunes", SUN_MADRID, "2026-11-30", "every Monday"),
        ("Ir al gimnasio los lunes", WED, "2026-11-30", "every Monday"),
        ("Revisar métricas semanalmente", SAT_MADRID, "2026-12-13", "weekly"),
        ("Retrospectiva cada dos viernes", SAT_MADRID, "2026-12-18", "every other Friday"),
        ("Correr de lunes a viernes", SUN, "2026-11-30", "every weekday"),
        ("Leer entre semana", WED, "2026-11-25", "every weekday"),
        ("Revisar gastos el 2 de cada mes", SAT_MADRID, "2027-01-02", "monthly on the 2nd"),
        ("Prioridades para el Q1", WED, None, None),
        ("Planificación del Q1", WED, None, None),
        ("Escribir por la mañana", WED, None, None),
        ("Aumentar las ventas el 15%", WED, None, None),
        ("El lunes pasado prometí más", WED, None, None),
        ("Corregir el informe del 15 de marzo pasado", WED, None, None),
    ],
}
# fmt: on
ROWS = [(lang, *row) for lang, rows in TABLE.items() for row in rows]


@pytest.mark.parametrize(
    ("lang", "phrase", "sent", "due", "label"),
    ROWS,
    ids=[f"{lang}-{phrase}-{sent.local[:3]}" for lang, phrase, sent, *_ in ROWS],
)
def test_due_date_table(
    lang: str, phrase: str, sent: Sent, due: str | None, label: str | None
) -> None:
    reading = read_due(phrase, parsedate_to_datetime(sent.header), ZoneInfo(sent.zone))
    expected_due = date.fromisoformat(due) if due else None
    assert (reading.due, reading.recurrence_label) == (expected_due, label)
    assert reading.recurrence == (RRULES[label] if label else None)


@pytest.mark.parametrize("sent", MOMENTS, ids=[sent.local for sent in MOMENTS])
def test_each_moment_is_the_day_the_table_counts_from(sent: Sent) -> None:
    local = parsedate_to_datetime(sent.header).astimezone(ZoneInfo(sent.zone))
    assert f"{local:%a %Y-%m-%d}" == sent.local


def test_the_table_covers_each_language_and_kind_of_phrase() -> None:
    for rows in TABLE.values():
        assert len(rows) >= 15
        assert any(label for *_, label in rows), "a recurrence"
        assert any(due is None for _, _, due, _ in rows), "a phrase with no due date"
