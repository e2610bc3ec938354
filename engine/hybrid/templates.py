"""Regex templates as data, and the detector that runs them.

A template is a TOML table (``data/templates/*.toml``): ``name``, ``subtype``, ``pattern`` (shared
sub-patterns from ``_vars.toml`` spliced in as ``%NAME%``), ``score``, ``flags`` by name, an optional
``validator`` name, optional ``context`` words that must (``require_context``) or may (score boost)
appear just before the match, ``requires`` (literals without which the pattern cannot match: a cheap
gate) and ``trusted`` for templates reliable enough to propagate. A group
named ``value`` (or ``value2``, ...) marks the part to annotate: ``"MRN: 6746781"`` -> ``6746781``.

Speed: ``IGNORECASE`` templates are written in lower case and run, without the flag, on the
lower-cased text (same length, same offsets): ``re`` then skips ahead on the literal first
characters instead of trying every position. A leading ``\b`` or lookbehind is split off and checked
only where the rest matched (retrying one character later on failure, as ``re`` itself would).

Safety: the stdlib ``re`` has no timeout, so every pattern is reviewed at load time
(:func:`check_pattern_safety`): no unbounded repeat may contain another repeat, the classic cause of
catastrophic backtracking. With bounded repeats every match attempt costs O(len(pattern)).

Example:
    >>> det = RegexDetector(load_templates())
    >>> from engine.types import Document
    >>> [(s.subtype, s.source) for s in det.detect(Document("d", "Seen 3/12/2011, 79yo"))]
    [('AGE', 'regex:AGE_YO'), ('DATE', 'regex:DATE_MDY')]
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.decode.spans import trim_edges
from engine.errors import ConfigError
from engine.hybrid.validators import VALIDATORS
from engine.labels import label_and_subtype
from engine.types import Document, Span

DATA_DIR = Path(__file__).parent / "data"
TEMPLATE_DIR = DATA_DIR / "templates"
_FLAGS = {"IGNORECASE": re.IGNORECASE, "MULTILINE": re.MULTILINE, "DOTALL": re.DOTALL, "ASCII": re.ASCII}
_VAR = re.compile(r"%([A-Z_]+)%")
CONTEXT_WINDOW = 40  # characters before a match searched for context words
#: Trailing separators trimmed from a template match ('MRN: 123,' -> '123'); nothing leading but spaces.
_NO_HEAD: frozenset[str] = frozenset()
_TAIL = frozenset(",;:")


@dataclass(frozen=True, slots=True)
class Template:
    """One compiled regex template (see the module docstring for the fields)."""

    name: str
    subtype: str
    regex: re.Pattern[str]
    score: float
    validator: str | None = None
    context: tuple[str, ...] = ()
    require_context: bool = False
    trusted: bool = False
    lower: bool = False
    lead: re.Pattern[str] | None = None
    requires: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The i2b2 category of the template's subtype."""
        return label_and_subtype(self.subtype)[0]


def check_pattern_safety(name: str, pattern: str, flags: int = 0) -> None:
    """Raise :class:`ConfigError` if an unbounded repeat contains another repeat.

    Example:
        >>> check_pattern_safety("ok", r"[0-9]{1,3}(?:/[0-9]{1,2}){1,2}")
        >>> check_pattern_safety("bad", r"(?:[0-9]+/?)+")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        engine.errors.ConfigError: [E401] template 'bad' nests a repeat inside an unbounded repeat ...
    """
    from re import _constants as C  # noqa: N812
    from re import _parser

    def has_repeat(items: Iterable[object]) -> bool:
        for op, av in items:  # type: ignore[misc]
            if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
                return True
            if op is C.SUBPATTERN and has_repeat(av[-1]):
                return True
            if op is C.BRANCH and any(has_repeat(b) for b in av[1]):
                return True
        return False

    def walk(items: Iterable[object]) -> None:
        for op, av in items:  # type: ignore[misc]
            if op in (C.MAX_REPEAT, C.MIN_REPEAT):
                lo, hi, sub = av
                if hi == C.MAXREPEAT and has_repeat(sub):
                    raise ConfigError(
                        "E401",
                        f"template {name!r} nests a repeat inside an unbounded repeat (catastrophic "
                        "backtracking risk)",
                        fix="Bound the outer repeat, e.g. {1,4} instead of + or *.",
                    )
                walk(sub)
            elif op is C.SUBPATTERN:
                walk(av[-1])
            elif op is C.BRANCH:
                for b in av[1]:
                    walk(b)
            elif op in (C.ASSERT, C.ASSERT_NOT):
                walk(av[1])

    walk(_parser.parse(pattern, flags))


def split_lead(pattern: str) -> tuple[str, str]:
    r"""Split a leading ``\b`` or lookbehind off ``pattern``: ``(lead, rest)``; lead may be ``""``.

    Example:
        >>> split_lead(r"(?<![0-9/])[0-9]{1,2}/x")
        ('(?<![0-9/])', '[0-9]{1,2}/x')
    """
    if pattern.startswith(r"\b"):
        return r"\b", pattern[2:]
    if not pattern.startswith(("(?<!", "(?<=")):
        return "", pattern
    depth, i, in_class = 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return pattern[: i + 1], pattern[i + 1 :]
        i += 1
    return "", pattern


def _expand_var(name: str, used: str, variables: dict[str, str]) -> str:
    if used not in variables:
        raise ConfigError(
            "E402",
            f"variable %{name}% uses %{used}%, which is not defined above it",
            fix=f"Define it earlier in _vars.toml. Known: {sorted(variables)}",
        )
    return variables[used]


def _compile(
    name: str, pattern: str, flag_names: Sequence[str], variables: dict[str, str]
) -> re.Pattern[str]:
    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in variables:
            raise ConfigError(
                "E402",
                f"template {name!r} uses unknown variable %{m.group(1)}%",
                fix=f"Known: {sorted(variables)}",
            )
        return variables[m.group(1)]

    expanded = _VAR.sub(sub, pattern)
    flags = 0
    for f in flag_names:
        if f not in _FLAGS:
            raise ConfigError(
                "E403", f"template {name!r}: unknown flag {f!r}", fix=f"Use one of {sorted(_FLAGS)}"
            )
        flags |= _FLAGS[f]
    if flags & re.IGNORECASE:
        bare = re.sub(r"\(\?P<\w+>|\\.", "", expanded)
        if any(c.isupper() for c in bare):
            raise ConfigError(
                "E409",
                f"IGNORECASE template {name!r} must be written in lower case",
                fix="It runs on the lower-cased text; write literals and classes in lower case.",
            )
        flags &= ~re.IGNORECASE
    check_pattern_safety(name, expanded, flags)
    try:
        return re.compile(expanded, flags)
    except re.error as e:
        raise ConfigError("E404", f"template {name!r} does not compile: {e}") from e


def load_templates(directory: str | Path = TEMPLATE_DIR, disabled: Iterable[str] = ()) -> list[Template]:
    """Load and compile every ``*.toml`` template file in ``directory`` (``_vars.toml`` = variables).

    Args:
        directory: folder of template files.
        disabled: template names to leave out (``HybridConfig.disabled_templates``).

    Returns:
        Templates in file-name order, then file order.
    """
    d = Path(directory)
    if not d.is_dir():
        raise ConfigError("E405", f"template directory not found: {d}")
    var_file = d / "_vars.toml"
    raw_vars: dict[str, str] = tomllib.loads(var_file.read_text())["vars"] if var_file.exists() else {}
    variables: dict[str, str] = {}
    for vname, vpattern in raw_vars.items():  # a variable may use the variables defined above it
        variables[vname] = _VAR.sub(lambda m, v=vname: _expand_var(v, m.group(1), variables), vpattern)
    off = set(disabled)
    out: list[Template] = []
    seen: set[str] = set()
    for path in sorted(d.glob("*.toml")):
        if path.name.startswith("_"):
            continue
        for t in tomllib.loads(path.read_text()).get("template", []):
            name = t["name"]
            if name in seen:
                raise ConfigError("E406", f"duplicate template name {name!r} in {path.name}")
            seen.add(name)
            if name in off:
                continue
            validator = t.get("validator")
            if validator is not None and validator not in VALIDATORS:
                raise ConfigError(
                    "E407",
                    f"template {name!r}: unknown validator {validator!r}",
                    fix=f"Use one of {sorted(VALIDATORS)}",
                )
            regex = _compile(name, t["pattern"], t.get("flags", []), variables)
            lead, rest = split_lead(regex.pattern)
            out.append(
                Template(
                    name=name,
                    subtype=t["subtype"],
                    regex=re.compile(rest, regex.flags) if lead else regex,
                    lower="IGNORECASE" in t.get("flags", []),
                    lead=re.compile(lead) if lead else None,
                    requires=tuple(r.lower() for r in t.get("requires", [])),
                    score=float(t.get("score", 0.8)),
                    validator=validator,
                    context=tuple(w.lower() for w in t.get("context", [])),
                    require_context=bool(t.get("require_context", False)),
                    trusted=bool(t.get("trusted", False)),
                )
            )
    unknown = off - seen
    if unknown:
        raise ConfigError(
            "E408",
            f"disabled_templates names unknown templates {sorted(unknown)}",
            fix=f"Known: {sorted(seen)}",
        )
    return out


def _value_span(m: re.Match[str]) -> tuple[int, int]:
    for g in m.re.groupindex:
        if g.startswith("value") and m.start(g) >= 0:
            return m.start(g), m.end(g)
    return m.start(), m.end()


class RegexDetector:
    """Runs compiled templates over a document.

    Attributes:
        name: registry name.
        templates: the templates, each compiled once.
    """

    name = "regex.v1"

    def __init__(self, templates: Sequence[Template]) -> None:
        self.templates = tuple(templates)
        self.labels = tuple(sorted({t.label for t in self.templates}))
        #: Sources (``regex:NAME``) of templates marked ``trusted``: their matches propagate.
        self.trusted_sources = frozenset(f"regex:{t.name}" for t in self.templates if t.trusted)

    def detect(self, doc: Document) -> list[Span]:
        """All validated template matches, unresolved (overlaps allowed).

        Example: ``"MRN: 6746781"`` -> ``[Span(5, 12, "ID", "MEDICALRECORD", 0.95, "regex:MEDICALRECORD")]``.
        """
        text = doc.text
        low = lower_same_length(text)
        out: list[Span] = []
        for t in self.templates:
            check = VALIDATORS[t.validator] if t.validator else None
            subject = low if t.lower else text
            if t.requires and not any(r in low for r in t.requires):
                continue  # a cheap whole-text gate: the pattern cannot match without these literals
            for m in _matches(t, subject):
                if check is not None and not check(text, m):
                    continue
                score = t.score
                if t.context:
                    before = low[max(0, m.start() - CONTEXT_WINDOW) : m.start()]
                    hit = any(w in before for w in t.context)
                    if t.require_context and not hit:
                        continue
                    if hit:
                        score = min(1.0, score + 0.05)
                s, e = _value_span(m)
                s, e = trim_edges(text, s, e, head=_NO_HEAD, tail=_TAIL)
                if s < e:
                    out.append(Span(s, e, t.label, t.subtype, score, f"regex:{t.name}"))
        return out


def _matches(t: Template, subject: str) -> Iterator[re.Match[str]]:
    """``finditer`` semantics with the split-off lead assertion checked per candidate."""
    if t.lead is None:
        yield from t.regex.finditer(subject)
        return
    search, lead = t.regex.search, t.lead.match
    pos, n = 0, len(subject)
    while pos <= n:
        m = search(subject, pos)
        if m is None:
            return
        if lead(subject, m.start()) is None:
            pos = m.start() + 1
            continue
        yield m
        pos = m.end() if m.end() > m.start() else m.end() + 1


def lower_same_length(text: str) -> str:
    """``text.lower()`` when that keeps every offset (it does unless rare Unicode expands)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
