"""Each email's dataclass against its templates: every value read is a field, every field is read.

The templates are walked, not rendered (tests/support/template_reads.py):
every branch counts, and a mismatch fails here rather than when the email
is sent. The second half shows the check failing where it should.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ClassVar

import jinja2
import jinja2.meta
import pytest

from mailer import emails
from mailer.emails import EMAILS, Email
from mailer.render import _environments, render_parts
from tests.support.template_reads import (
    SERVICE_VALUES,
    Reads,
    parts_of,
    reads_of,
    unread_fields,
)
from tests.support.template_samples import SAMPLES, Sample, stored

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
DATA = Path(__file__).resolve().parents[1] / "data"
ENVIRONMENT = _environments()[0]  # the templates as render.py loads them
READS = {email: reads_of(email, ENVIRONMENT) for email in EMAILS}
PARTS = sorted({part for email in EMAILS for part in parts_of(email)}, key=lambda p: p.__name__)


def _name(kind: type) -> str:
    return kind.__name__


def test_every_template_folder_has_one_email_and_every_email_is_listed() -> None:
    folders = {path.name for path in TEMPLATES.iterdir() if path.is_dir()}
    assert sorted(email.template for email in EMAILS) == sorted(folders)
    assert set(EMAILS) == {kind for kind in _subclasses(Email) if kind.__module__ != __name__}


def _subclasses(kind: type) -> set[type]:
    found: set[type] = set(kind.__subclasses__())
    return found.union(*(_subclasses(sub) for sub in found))


@pytest.mark.parametrize("email", EMAILS, ids=_name)
def test_the_templates_read_nothing_the_email_lacks(email: type[Email]) -> None:
    assert READS[email].problems == []


@pytest.mark.parametrize("email", EMAILS, ids=_name)
def test_the_templates_read_every_field_of_the_email(email: type[Email]) -> None:
    assert unread_fields(email, READS[email]) == set()


@pytest.mark.parametrize("part", PARTS, ids=_name)
def test_every_field_of_a_part_is_read_by_some_email_that_lists_it(part: type) -> None:
    # A part several emails share (a commitment line) needs each field read
    # by one of them: a summary does not say "passed", a confirmation does.
    everything = Reads(fields=set().union(*(reads.fields for reads in READS.values())))
    assert unread_fields(part, everything) == set()


@pytest.mark.parametrize("kind", [*EMAILS, *PARTS], ids=_name)
def test_what_is_read_elsewhere_is_a_field(kind: type) -> None:
    declared = set(getattr(kind, "read_elsewhere", {}))
    assert declared <= {f.name for f in dataclasses.fields(kind)}


@pytest.mark.parametrize("email", EMAILS, ids=_name)
def test_no_field_is_hidden_by_what_render_py_adds(email: type[Email]) -> None:
    # render.py's own values (domain, reply_address ...) win over the context's.
    assert {f.name for f in dataclasses.fields(email)} & SERVICE_VALUES == set()


@pytest.mark.parametrize("email", EMAILS, ids=_name)
def test_the_walk_finds_the_names_jinja_finds(email: type[Email]) -> None:
    # jinja2.meta sees one file at a time and only names, not fields: over
    # every file the walk reached, it must find the same names. It counts
    # the macros a child template imports for its blocks as undeclared.
    reads = READS[email]
    found = set().union(
        *(jinja2.meta.find_undeclared_variables(_parse(name)) for name in reads.files)
    )
    assert found - reads.imported == reads.names


def _parse(name: str, environment: jinja2.Environment = ENVIRONMENT) -> jinja2.nodes.Template:
    assert environment.loader is not None
    return environment.parse(environment.loader.get_source(environment, name)[0])


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=list(SAMPLES))
def test_a_row_stores_plain_json_with_a_key_for_each_field(sample: Sample) -> None:
    for _, email in sample.emails():
        context = email.context()
        assert stored(email) == context  # nothing JSON would change: dates are ISO strings
        assert set(context) == {f.name for f in dataclasses.fields(email)}
        as_dict = json.dumps(dataclasses.asdict(email), default=date.isoformat)
        assert context == json.loads(as_dict)


def test_an_invitation_s_lines_read_back_as_they_were_queued() -> None:
    invitation = SAMPLES["invitation"].email
    assert isinstance(invitation, emails.Invitation)
    lines = stored(invitation)["commitments"]
    assert isinstance(lines, list)
    assert [emails.CommitmentLine.from_context(line) for line in lines] == invitation.commitments


def test_a_line_queued_before_passed_dates_reads_back_as_not_passed() -> None:
    old = {"number": 3, "text": "Call Ana", "due": "2026-12-04", "recurrence": None}
    assert emails.CommitmentLine.from_context(old) == emails.CommitmentLine(
        3, "Call Ana", date(2026, 12, 4), None, passed=False, move_to=None
    )


def test_a_passed_due_date_is_offered_the_same_weekday_ahead() -> None:
    friday, sunday = date(2026, 11, 27), date(2026, 11, 29)
    line = emails.commitment_line(2, "Send the agenda", friday, None, today=sunday)
    assert (line.passed, line.move_to) == (True, date(2026, 12, 4))
    assert not emails.commitment_line(2, "Send the agenda", friday, None, today=friday).passed


# The check itself: each mismatch it exists for, made on purpose, fails it.


@dataclass(frozen=True)
class _Line:
    number: int
    text: str


@dataclass(frozen=True)
class _Fake(Email):
    template = "fake"
    read_elsewhere: ClassVar[Mapping[str, str]] = {"header": "render.py, a header"}
    name: str
    lines: list[_Line]
    header: str


_BASE = "{% block body %}{% endblock %} {{ service }}"
_PARTIAL = "{% macro show(l) %}#{{ l.number }} {{ l.text }}{% endmacro %}"


def _reads(body: str, subject: str = "{{ name }}", **others: str) -> Reads:
    loader = jinja2.DictLoader(
        {
            "fake/subject.txt": subject,
            "fake/body.txt": body,
            "fake/body.html": '{% extends "base" %}{% block body %}{{ name }}{% endblock %}',
            "base": _BASE,
            "_line": _PARTIAL,
            **others,
        }
    )
    return reads_of(_Fake, jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined))


_GOOD = '{% from "_line" import show %}{% for l in lines %}{{ show(l) }}{% endfor %}'


def test_the_fake_email_passes_as_written() -> None:
    reads = _reads(_GOOD)
    assert reads.problems == []
    assert unread_fields(_Fake, reads) == set()
    assert unread_fields(_Line, reads) == set()


def test_a_template_reading_a_name_the_email_lacks_fails() -> None:
    reads = _reads(_GOOD, subject="{{ name }} {{ nmae }}")
    assert reads.problems == ["fake/subject.txt: reads 'nmae', which is not a field of the email"]


def test_a_template_reading_a_field_a_listed_part_lacks_fails() -> None:
    reads = _reads("{% for l in lines %}{{ l.number }}{{ l.due }}{% endfor %}")
    assert reads.problems == ["fake/body.txt: reads 'due', which _Line has no field for"]


def test_a_macro_reading_a_field_its_argument_lacks_fails() -> None:
    reads = _reads(_GOOD, _line="{% macro show(l) %}{{ l.number }} {{ l.when }}{% endmacro %}")
    assert reads.problems == ["_line: reads 'when', which _Line has no field for"]


def test_a_read_in_a_branch_no_sample_takes_fails_too() -> None:
    reads = _reads(_GOOD + "{% if false %}{{ lines[0].nope }}{% endif %}")
    assert reads.problems == ["fake/body.txt: reads 'nope', which _Line has no field for"]


def test_an_imported_macro_cannot_read_the_email_s_values() -> None:
    reads = _reads(_GOOD, _line="{% macro show(l) %}{{ l.number }}{{ name }}{% endmacro %}")
    assert reads.problems == ["_line: reads 'name', which is not a field of the email"]


def test_an_included_template_reads_the_email_s_values() -> None:
    reads = _reads('{% include "_part" %}', _part="{{ nope }}")
    assert reads.problems == ["_part: reads 'nope', which is not a field of the email"]


def test_a_field_no_template_reads_fails() -> None:
    reads = _reads("{{ name }}")  # lines never read
    assert unread_fields(_Fake, reads) == {"lines"}


def test_a_part_s_field_no_template_reads_fails() -> None:
    reads = _reads("{% for l in lines %}{{ l.number }}{% endfor %}")
    assert unread_fields(_Line, reads) == {"text"}


def test_a_field_read_only_in_a_block_the_child_replaces_is_unread() -> None:
    # The parent's own block content never renders under a child that fills the block.
    child = '{% extends "base" %}{% block body %}{{ name }}{% endblock %}'
    reads = _reads(child, base="{% block body %}{{ lines }}{% endblock %}")
    assert reads.problems == []
    assert unread_fields(_Fake, reads) == {"lines"}


def test_a_value_read_through_default_is_known_to_be_optional() -> None:
    reads = _reads(_GOOD + "{{ name | default('') }}")
    assert (_Fake, "name") in reads.defaulted


def test_a_construct_the_walk_does_not_follow_fails_instead_of_hiding_reads() -> None:
    with pytest.raises(NotImplementedError, match="CallBlock"):
        _reads(_GOOD + "{% call show(lines[0]) %}{{ nope }}{% endcall %}")


# Rows queued before the emails were typed still wait in some databases.

_BEFORE = json.loads((DATA / "rows_before_typed_emails.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("template", sorted(_BEFORE))
def test_a_row_queued_before_typed_emails_says_what_it_said(template: str) -> None:
    # Its keys since dropped are ignored, and it says what the email typed now says.
    sample = SAMPLES[template]
    before = _BEFORE[template]
    # Except the way out: such a row has none, or a digest's reply+ address
    # (where a "stop" still works), which the text does not offer as one.
    old_way_out = str(before.get("unsubscribe", ""))
    assert old_way_out.startswith("reply+") or not old_way_out
    now = {**sample.contexts()[0][1], "unsubscribe": old_way_out}
    assert sample.render(before) == sample.render(now)


def test_dates_are_written_as_people_write_them_with_the_year_only_when_not_this_ones() -> None:
    sample = SAMPLES["confirmation"]
    context = sample.contexts()[0][1]
    this_year = render_parts(
        "confirmation",
        context,
        domain="x.example",
        reply_address="r@x.example",
        today=date(2026, 11, 30),
    )
    next_year = render_parts(
        "confirmation",
        context,
        domain="x.example",
        reply_address="r@x.example",
        today=date(2027, 1, 2),
    )
    assert "due: Fri 4 Dec\n" in this_year.text
    assert "due: Fri 4 Dec 2026\n" in next_year.text
    assert "due: Fri 4 Dec 2026<" in next_year.html
    assert "2026-12-04" not in this_year.text + this_year.html
