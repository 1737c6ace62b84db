"""What an email's templates read, found by walking their syntax trees: every branch, not one.

The walk starts at the email's three templates with its dataclass's fields
in scope, follows ``extends`` (the blocks the child fills), ``include`` and
``from ... import`` (a macro is walked for each call, its parameters typed
by the arguments), and types loop variables by the list they run over. So
``{% for c in commitments %}{{ line(c) }}`` reads CommitmentLine's fields in
_commitment.txt. A value it cannot type (a constant, a string, what most
filters return) is not followed further.

What it gives: every (dataclass, field) read, the fields read through
``default`` (optional in rows queued before them), and the problems: a
name or field read that the dataclass does not have.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Union, get_args, get_origin

import jinja2
from jinja2 import nodes

from mailer.emails import Email
from mailer.render import service_values

SERVICE_VALUES = frozenset(service_values("example.com", "help@example.com"))


class _Unknown:
    """A value of no known type: read as the template likes, not checked."""

    def __repr__(self) -> str:
        return "unknown"


UNKNOWN: Any = _Unknown()
# Filters that give back the collection they filter (typed as it), and one element of it.
_SAME = frozenset({"default", "d", "sort", "reverse", "list", "unique", "select", "reject"})
_SAME |= {"selectattr", "rejectattr"}
_ONE = frozenset({"first", "last", "random"})
_Field = tuple[type, str]


@dataclass
class Reads:
    """What walking an email's templates found."""

    fields: set[_Field] = field(default_factory=set)
    defaulted: set[_Field] = field(default_factory=set)  # read as ``x | default(...)``
    problems: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)  # every name read from the context
    imported: set[str] = field(default_factory=set)  # macros imported by name
    files: set[str] = field(default_factory=set)  # every template reached


@dataclass(frozen=True)
class _Binding:
    type: Any
    owner: type | str | None  # the email whose field it is, "service", or None for a local


@dataclass(frozen=True)
class _Macro:
    node: nodes.Macro
    file: str
    sees: dict[str, _Binding]  # the context it was defined in: none for an imported one
    macros: dict[str, _Macro]  # the macros beside it


@dataclass(frozen=True)
class _Frame:
    file: str
    scope: dict[str, _Binding]
    macros: dict[str, _Macro]
    blocks: dict[str, tuple[nodes.Block, _Frame]]  # what a child template fills in


def reads_of(email: type[Email], environment: jinja2.Environment) -> Reads:
    """Everything ``email``'s subject, text and HTML templates read, and what is wrong."""
    walker = _Walker(environment, Reads())
    hints = typing.get_type_hints(email)
    scope = {name: _Binding(str, "service") for name in SERVICE_VALUES}
    scope |= {f.name: _Binding(hints[f.name], email) for f in dataclasses.fields(email)}
    for part in ("subject.txt", "body.txt", "body.html"):
        walker.template(f"{email.template}/{part}", dict(scope), {})
    return walker.reads


def unread_fields(kind: type, reads: Reads) -> set[str]:
    """The fields of ``kind`` no template read and nothing else is declared to."""
    declared = dict(getattr(kind, "read_elsewhere", {}))
    names = {f.name for f in dataclasses.fields(kind)}
    return names - set(declared) - {name for owner, name in reads.fields if owner is kind}


def parts_of(email: type[Email]) -> Iterator[type]:
    """The dataclasses inside an email's fields (a commitment line, a digest member ...),
    but not inside fields read elsewhere, which no template is meant to read."""
    seen: set[type] = set()
    todo = [email]
    while todo:
        kind = todo.pop()
        elsewhere = set(getattr(kind, "read_elsewhere", {}))
        hints = typing.get_type_hints(kind)
        for f in dataclasses.fields(kind):
            if f.name in elsewhere:
                continue
            for inner in _dataclasses_in(hints[f.name]):
                if inner not in seen:
                    seen.add(inner)
                    todo.append(inner)
                    yield inner


def _dataclasses_in(annotation: Any) -> Iterator[type]:
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        yield annotation
    for argument in get_args(annotation):
        yield from _dataclasses_in(argument)


class _Walker:
    def __init__(self, environment: jinja2.Environment, reads: Reads) -> None:
        self.environment = environment
        self.reads = reads
        self.walking: set[tuple[int, tuple[str, ...]]] = set()  # macros under way
        self.last_field: _Field | None = None

    # Templates and statements.

    def parse(self, name: str) -> nodes.Template:
        assert self.environment.loader is not None
        source, _, _ = self.environment.loader.get_source(self.environment, name)
        self.reads.files.add(name)
        return self.environment.parse(source)

    def template(
        self,
        name: str,
        scope: dict[str, _Binding],
        blocks: dict[str, tuple[nodes.Block, _Frame]],
    ) -> None:
        """Walk one template; ``blocks`` are those a template extending it fills in."""
        tree = self.parse(name)
        frame = _Frame(name, scope, {}, blocks)
        parent = next(iter(tree.find_all(nodes.Extends)), None)
        if parent is None:
            self.statements(tree.body, frame)
            return
        # A child renders only its blocks, in its parent's places: its other
        # top-level text is never output, its imports and macros serve the blocks.
        for statement in tree.body:
            if not isinstance(statement, nodes.Extends | nodes.Block | nodes.Output):
                self.statement(statement, frame)
        own = {block.name: (block, frame) for block in tree.find_all(nodes.Block)}
        self.template(_template_name(parent.template), scope, {**own, **blocks})

    def statements(self, body: list[nodes.Node], frame: _Frame) -> None:
        for statement in body:
            self.statement(statement, frame)

    def statement(self, node: nodes.Node, frame: _Frame) -> None:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                self.expression(child, frame)
        elif isinstance(node, nodes.If):
            self.expression(node.test, frame)
            self.statements(node.body, frame)
            self.statements(list(node.elif_), frame)
            self.statements(node.else_, frame)
        elif isinstance(node, nodes.For):
            self.loop(node, frame)
        elif isinstance(node, nodes.Assign):
            self.bind(node.target, self.expression(node.node, frame), frame.scope)
        elif isinstance(node, nodes.Macro):
            frame.macros[node.name] = _Macro(node, frame.file, frame.scope, frame.macros)
        elif isinstance(node, nodes.FromImport):
            self.from_import(node, frame)
        elif isinstance(node, nodes.Include):
            included = _template_name(node.template)
            self.statements(self.parse(included).body, _Frame(included, frame.scope, {}, {}))
        elif isinstance(node, nodes.Block):
            block, where = frame.blocks.get(node.name, (node, frame))
            self.statements(block.body, _Frame(where.file, frame.scope, where.macros, frame.blocks))
        elif isinstance(node, nodes.FilterBlock):
            self.expression(node.filter, frame)
            self.statements(node.body, frame)
        else:
            # A construct this walk does not follow would hide what it reads.
            raise NotImplementedError(f"{frame.file}: {type(node).__name__} is not walked")

    def loop(self, node: nodes.For, frame: _Frame) -> None:
        if node.recursive:
            raise NotImplementedError(f"{frame.file}: a recursive loop is not walked")
        each = _element(self.expression(node.iter, frame))
        inner = dict(frame.scope)
        self.bind(node.target, each, inner)
        inner["loop"] = _Binding(UNKNOWN, None)
        body = _Frame(frame.file, inner, frame.macros, frame.blocks)
        if node.test is not None:
            self.expression(node.test, body)
        self.statements(node.body, body)
        self.statements(node.else_, frame)

    def from_import(self, node: nodes.FromImport, frame: _Frame) -> None:
        if node.with_context:
            raise NotImplementedError(f"{frame.file}: an import with context is not walked")
        imported = _template_name(node.template)
        # Imported without context: its macros see their parameters, not the email.
        module = _Frame(imported, {}, {}, {})
        for statement in self.parse(imported).body:
            if isinstance(statement, nodes.Macro | nodes.FromImport):
                self.statement(statement, module)
        for name in node.names:
            original, alias = name if isinstance(name, tuple) else (name, name)
            if original not in module.macros:
                self.problem(frame, f"imports {original!r}, which {imported} does not define")
                continue
            frame.macros[alias] = module.macros[original]
            self.reads.imported.add(alias)

    def bind(self, target: nodes.Node, value: Any, scope: dict[str, _Binding]) -> None:
        if isinstance(target, nodes.Name):
            scope[target.name] = _Binding(value, None)
        elif isinstance(target, nodes.Tuple):
            for item in target.items:
                self.bind(item, UNKNOWN, scope)
        else:
            raise NotImplementedError(f"assigning to {type(target).__name__} is not walked")

    # Expressions: each returns the type of its value.

    def expression(self, node: nodes.Node, frame: _Frame) -> Any:
        if isinstance(node, nodes.Name):
            return self.name(node.name, frame)
        if isinstance(node, nodes.Getattr):
            return self.member(self.expression(node.node, frame), node.attr, frame)
        if isinstance(node, nodes.Getitem):
            base = self.expression(node.node, frame)
            if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                return self.member(base, node.arg.value, frame)
            self.expression(node.arg, frame)
            return base if isinstance(node.arg, nodes.Slice) else _element(base)
        if isinstance(node, nodes.Filter):
            return self.filter(node, frame)
        if isinstance(node, nodes.Call):
            return self.call(node, frame)
        if isinstance(node, nodes.CondExpr):
            self.expression(node.test, frame)
            then = self.expression(node.expr1, frame)
            otherwise = self.expression(node.expr2, frame) if node.expr2 else None
            return then if otherwise in (None, then) else UNKNOWN
        if isinstance(node, nodes.Const | nodes.TemplateData):
            return UNKNOWN
        if isinstance(node, _PLAIN):
            for child in node.iter_child_nodes():
                self.expression(child, frame)
            return UNKNOWN
        raise NotImplementedError(f"{frame.file}: {type(node).__name__} is not walked")

    def name(self, name: str, frame: _Frame) -> Any:
        binding = frame.scope.get(name)
        if binding is not None and binding.owner is None:
            return binding.type  # a loop variable, a parameter, a {% set %}
        self.reads.names.add(name)
        if binding is None:
            if name not in self.environment.globals:
                self.problem(frame, f"reads {name!r}, which is not a field of the email")
            return UNKNOWN
        if isinstance(binding.owner, type):
            self.read(binding.owner, name)
        return binding.type

    def member(self, value: Any, name: str, frame: _Frame) -> Any:
        kind = _without_none(value)
        if isinstance(kind, type) and dataclasses.is_dataclass(kind):
            hints = typing.get_type_hints(kind)
            if name not in {f.name for f in dataclasses.fields(kind)}:
                self.problem(frame, f"reads {name!r}, which {kind.__name__} has no field for")
                return UNKNOWN
            self.read(kind, name)
            return hints[name]
        if get_origin(kind) is list:
            self.problem(frame, f"reads {name!r} of a list")
        return UNKNOWN

    def read(self, kind: type, name: str) -> None:
        self.reads.fields.add((kind, name))
        self.last_field = (kind, name)

    def filter(self, node: nodes.Filter, frame: _Frame) -> Any:
        self.last_field = None
        value = self.expression(node.node, frame) if node.node is not None else UNKNOWN
        if node.name in ("default", "d") and self.last_field is not None:
            self.reads.defaulted.add(self.last_field)
        for argument in _arguments(node):
            self.expression(argument, frame)
        if node.name in _SAME:
            return value
        return _element(value) if node.name in _ONE else UNKNOWN

    def call(self, node: nodes.Call, frame: _Frame) -> Any:
        arguments = [self.expression(argument, frame) for argument in node.args]
        keywords = {keyword.key: self.expression(keyword.value, frame) for keyword in node.kwargs}
        for rest in (node.dyn_args, node.dyn_kwargs):
            if rest is not None:
                self.expression(rest, frame)
        callee = node.node
        if isinstance(callee, nodes.Name) and callee.name in frame.macros:
            self.macro(frame.macros[callee.name], arguments, keywords, frame)
        else:
            self.expression(callee, frame)
        return UNKNOWN

    def macro(
        self, macro: _Macro, arguments: list[Any], keywords: dict[str, Any], caller: _Frame
    ) -> None:
        """Walk a macro's body for one call, its parameters typed as the call passes them."""
        parameters = [argument.name for argument in macro.node.args]
        optional = parameters[len(parameters) - len(macro.node.defaults) :]
        given = dict(zip(parameters, arguments, strict=False)) | keywords
        for parameter in parameters:
            if parameter not in given and parameter not in optional:
                self.problem(caller, f"calls {macro.node.name}() without {parameter!r}")
        scope = dict(macro.sees)
        scope |= {name: _Binding(UNKNOWN, None) for name in ("caller", "varargs", "kwargs")}
        scope |= {name: _Binding(given.get(name, UNKNOWN), None) for name in parameters}
        key = (id(macro.node), tuple(repr(scope[name].type) for name in parameters))
        if key in self.walking:
            return  # a macro calling itself: walked once for these types
        self.walking.add(key)
        self.statements(macro.node.body, _Frame(macro.file, scope, macro.macros, {}))
        self.walking.discard(key)

    def problem(self, frame: _Frame, text: str) -> None:
        self.reads.problems.append(f"{frame.file}: {text}")


# Expressions with nothing to type: their parts are walked for what they read.
_PLAIN = (
    nodes.BinExpr, nodes.UnaryExpr, nodes.Compare, nodes.Operand, nodes.Concat, nodes.Test,
    nodes.List, nodes.Tuple, nodes.Dict, nodes.Pair, nodes.Keyword, nodes.Slice,
    nodes.MarkSafe, nodes.MarkSafeIfAutoescape,
)  # fmt: skip


def _template_name(node: nodes.Expr) -> str:
    if not isinstance(node, nodes.Const) or not isinstance(node.value, str):
        raise NotImplementedError("a template named by an expression is not walked")
    return node.value


def _arguments(node: nodes.Filter) -> list[nodes.Node]:
    rest = [argument for argument in (node.dyn_args, node.dyn_kwargs) if argument is not None]
    return [*node.args, *node.kwargs, *rest]


def _without_none(kind: Any) -> Any:
    """``X | None`` read as ``X`` (a field of None fails the rendering, StrictUndefined)."""
    if isinstance(kind, types.UnionType) or get_origin(kind) is Union:
        left = [argument for argument in get_args(kind) if argument is not type(None)]
        return left[0] if len(left) == 1 else UNKNOWN
    return kind


def _element(kind: Any) -> Any:
    kind = _without_none(kind)
    return get_args(kind)[0] if get_origin(kind) is list else UNKNOWN
