"""Keyword lists (gazetteers) and the hospital-name grower.

Lists are plain text files (one term per line, ``#`` comments) named in ``data/lists/lists.toml``
with their subtype, score and case rule. Matching is one pass over the words of the note with a
dictionary lookup of every n-gram up to the longest term, so the cost does not grow with list size.

Example:
    >>> from engine.types import Document
    >>> det = ListDetector(load_lists())
    >>> [(s.subtype, s.source) for s in det.detect(Document("d", "Moved from Ohio, works as a cashier."))]
    [('STATE', 'list:STATE'), ('PROFESSION', 'list:PROFESSION')]
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ConfigError
from engine.labels import label_and_subtype
from engine.types import Document, Span

LIST_DIR = Path(__file__).parent / "data" / "lists"
_WORD = re.compile(r"[A-Za-z][A-Za-z'’&-]*")
_ZIP_AFTER = re.compile(r"[ ,]{1,3}([0-9]{5}(?:-[0-9]{4})?)(?![0-9-])")
_MAX_GAP = 2  # characters of whitespace allowed between the words of one term


def read_terms(path: str | Path) -> list[str]:
    """Read a one-term-per-line file, skipping blanks and ``#`` comments.

    Example: a file ``"# states\\nOhio\\n\\nTexas\\n"`` -> ``["Ohio", "Texas"]``.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError("E410", f"list file not found: {p}", fix="Check HybridConfig list file paths.")
    return [
        ln.strip()
        for ln in p.read_text(encoding="utf-8").splitlines()
        if ln.strip() and not ln.lstrip().startswith("#")
    ]


@dataclass(frozen=True, slots=True)
class KeywordList:
    """One gazetteer: its terms (lower-cased) and how a hit becomes a span."""

    name: str
    subtype: str
    score: float
    case: str
    terms: frozenset[str]
    enabled: bool = True


def load_lists(directory: str | Path = LIST_DIR) -> list[KeywordList]:
    """Load every list named in ``lists.toml`` of ``directory``."""
    d = Path(directory)
    manifest = d / "lists.toml"
    if not manifest.is_file():
        raise ConfigError("E411", f"list manifest not found: {manifest}")
    out = []
    for e in tomllib.loads(manifest.read_text())["list"]:
        if e.get("case", "title") not in ("title", "any"):
            raise ConfigError("E412", f"list {e['name']!r}: case must be 'title' or 'any'")
        terms = frozenset(" ".join(t.lower().split()) for t in read_terms(d / e["file"]))
        out.append(
            KeywordList(
                e["name"],
                e["subtype"],
                float(e["score"]),
                e.get("case", "title"),
                terms,
                bool(e.get("enabled", True)),
            )
        )
    return out


def _title_ok(surface: str) -> bool:
    words = surface.split()
    return surface.isupper() or all(w[0].isupper() or w.lower() in ("of", "and", "the") for w in words)


#: Index entry of a multi-word allow phrase: it matches like a term and yields no span.
_ALLOW_PHRASE = KeywordList("ALLOW", "ALLOW", 0.0, "any", frozenset())


class ListDetector:
    """Marks every n-gram of the note found in an enabled list.

    Args:
        lists: the gazetteers to use.
        allow: lower-cased terms never marked by a single-word hit (``"MS"``, ``"Turkey"`` stays
            when capitalised mid-sentence only if not allowed).
        enabled: list names to use; ``None`` uses each list's ``enabled`` flag.
    """

    name = "lists.v1"

    def __init__(
        self, lists: Sequence[KeywordList], allow: Collection[str] = (), enabled: Iterable[str] | None = None
    ) -> None:
        names = set(enabled) if enabled is not None else {k.name for k in lists if k.enabled}
        self.lists = tuple(k for k in lists if k.name in names)
        self.allow = frozenset(allow)
        self.labels = tuple(sorted({label_and_subtype(k.subtype)[0] for k in self.lists}))
        self._index: dict[str, KeywordList] = {}
        for k in self.lists:  # earlier lists win a shared term
            for t in k.terms:
                self._index.setdefault(t, k)
        # A multi-word allow phrase ("power of attorney") is matched like a term and swallows the list
        # hits inside it ("attorney"); the longest match at a word wins, as for terms.
        for t in self.allow:
            if " " in t:
                self._index.setdefault(t, _ALLOW_PHRASE)
        self._source_prefix = "list"
        self._firsts = frozenset(t.split(" ", 1)[0] for t in self._index)
        # Word-level proper prefixes of multi-word terms: extend an n-gram only while it is one.
        self._prefixes = frozenset(
            " ".join(t.split(" ")[:i]) for t in self._index for i in range(1, t.count(" ") + 1)
        )
        self._max_n = max((t.count(" ") + 1 for t in self._index), default=0)

    @classmethod
    def from_terms(cls, name: str, terms: dict[str, str], score: float = 1.0) -> ListDetector:
        """A detector for ``{term: subtype}`` pairs (the deny list); its source is ``deny:<SUBTYPE>``.

        Example: ``ListDetector.from_terms("DENY", {"kemper": "HOSPITAL"})`` marks ``Kemper`` anywhere.
        """
        by_sub: dict[str, set[str]] = {}
        for t, sub in terms.items():
            by_sub.setdefault(sub, set()).add(t)
        lists = [KeywordList(sub, sub, score, "any", frozenset(ts)) for sub, ts in by_sub.items()]
        det = cls(lists)
        det._source_prefix = "deny"
        return det

    def detect(self, doc: Document) -> list[Span]:
        """Spans for list hits; longest n-gram first at each word, no overlapping hits.

        subtle: only words that begin some term start a lookup, so most words cost one set test.
        """
        text = doc.text
        low = text.lower()
        if len(low) != len(text):  # rare Unicode whose lower case changes length: keep offsets exact
            low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        out: list[Span] = []
        index, allow, firsts, prefixes = self._index, self.allow, self._firsts, self._prefixes
        search = _WORD.search
        blocked = 0  # end of the last hit: hits do not overlap
        for m in _WORD.finditer(low):
            s, e = m.span()
            if s < blocked or low[s:e] not in firsts:
                continue
            key = low[s:e]
            hit, hit_end, hit_key, end = index.get(key), e, key, e
            while key in prefixes:
                nxt = search(low, end, end + _MAX_GAP + 40)
                if nxt is None or nxt.start() - end > _MAX_GAP or not low[end : nxt.start()].isspace():
                    break
                key = f"{key} {nxt.group()}"
                end = nxt.end()
                k = index.get(key)
                if k is not None:
                    hit, hit_end, hit_key = k, end, key
            if hit is None:
                continue
            if hit is _ALLOW_PHRASE:
                blocked = hit_end
                continue
            surface = text[s:hit_end]
            if (hit.case == "any" or _title_ok(surface)) and (" " in hit_key or hit_key not in allow):
                out.append(
                    Span(
                        s,
                        hit_end,
                        label_and_subtype(hit.subtype)[0],
                        hit.subtype,
                        hit.score,
                        f"{self._source_prefix}:{hit.name}",
                    )
                )
                blocked = hit_end
                if hit.subtype == "STATE":  # "Ohio 44106": a ZIP right after a state name
                    z = _ZIP_AFTER.match(text, hit_end)
                    if z is not None:
                        out.append(
                            Span(z.start(1), z.end(1), "LOCATION", "ZIP", 0.85, f"{self._source_prefix}:ZIP")
                        )
        return out


_CONNECTORS = frozenset({"of", "the", "and", "&", "st", "st."})
#: At most this many capitalised words (connectors aside) before a hospital suffix make its name.
_MAX_NAME_WORDS = 4
_STOP_LEAD = frozenset(
    {
        "at",
        "to",
        "from",
        "in",
        "a",
        "an",
        "by",
        "with",
        "our",
        "his",
        "her",
        "their",
        "this",
        "that",
        "outside",
        "local",
        "admitted",
        "transferred",
        "discharged",
        "seen",
        # function words end the name too ("REHAB OR NURSING HOME", "SCREENING FOR REHAB CENTER"):
        # in ALL-CAPS notes every word is capitalised, so capitals alone carry no evidence
        "or",
        "for",
        "re",
        "on",
        "if",
        "is",
        "are",
        "was",
        "were",
        "will",
        "be",
        "but",
        "so",
        "as",
        "per",
        "no",
        "not",
        "into",
        "after",
        "before",
        "then",
        "when",
        "while",
        "until",
        "via",
        "vs",
        "versus",
        "w",
        "wo",
        "need",
        "needs",
        "go",
        "going",
        "home",
        "back",
    }
)


class HospitalDetector:
    """Grows capitalised words before a hospital suffix into one HOSPITAL span.

    Example: ``"admitted to Kemper Memorial Hospital today"`` -> ``"Kemper Memorial Hospital"``; a
    suffix with no name before it (``"the Hospital"``) gives nothing.
    """

    name = "hospital.v1"
    labels = ("LOCATION",)

    def __init__(self, suffixes: Sequence[str], allow: Collection[str] = (), score: float = 0.8) -> None:
        alts = sorted({s.strip() for s in suffixes if s.strip()}, key=len, reverse=True)
        forms = [re.escape(a).replace(r"\ ", r"\s{1,2}") for a in alts]
        forms += [re.escape(a.upper()).replace(r"\ ", r"\s{1,2}") for a in alts]
        # subtle: no leading \b, so re can skip ahead on the suffixes' first letters; the word
        # boundary before the suffix is checked in detect().
        self._suffix = re.compile(r"(?:" + "|".join(forms) + r")\b")
        self.allow = frozenset(allow)
        self.score = score

    def detect(self, doc: Document) -> list[Span]:
        """HOSPITAL spans ``[first name word, end of suffix)``."""
        text = doc.text
        out: list[Span] = []
        for m in self._suffix.finditer(text):
            if m.start() > 0 and (text[m.start() - 1].isalnum() or text[m.start() - 1] == "_"):
                continue
            start = m.start()
            named = False
            pos = m.start()
            words = 0
            for i in range(_MAX_NAME_WORDS + 1):
                wm = _prev_word(text, pos)
                if wm is None:
                    break
                ws, we = wm
                w = text[ws:we]
                low = w.lower()
                if i == 0 and low == "the":
                    break  # "the hospital", "BETWEEN THE HOSPITAL AND HOME": generic, not a name
                if low in _CONNECTORS:
                    pass
                elif w[0].isupper() and low not in _STOP_LEAD and (w[-1] != "." or low == "st."):
                    words += 1
                    start = ws
                    named = named or low not in self.allow
                else:
                    break
                pos = ws
            if words > _MAX_NAME_WORDS:
                # subtle: five capitalised words in a row before 'HOSPITAL' are a sentence in capitals or a
                # Title Case header, not a name (the longest real ones have four: 'Beth Israel Deaconess')
                continue
            if named:
                out.append(Span(start, m.end(), "LOCATION", "HOSPITAL", self.score, "list:HOSPITAL"))
        return out


_PREV = re.compile(r"([A-Za-z][A-Za-z'’.&-]{0,30})[ \t]{1,2}$")


def _prev_word(text: str, pos: int) -> tuple[int, int] | None:
    m = _PREV.search(text, max(0, pos - 34), pos)
    if m is None:
        return None
    return m.start(1), m.end(1)
