"""``ImageDeidentifier``: scanned files in, redacted files and a region report out.

For each input: read the pages (:mod:`engine.image.formats`), OCR them in parallel, one
single-threaded Tesseract per page (:mod:`engine.image.ocr`), rebuild each page's text in reading
order (:mod:`engine.image.layout`), run the unchanged text engine on the pages of a file as one
``group`` (so trusted terms propagate across its pages), map the spans to word boxes, fill them
(:mod:`engine.image.draw`) and write the file back in its own format with a JSON report beside it.

Fail closed: a page whose OCR fails is covered entirely (``on_ocr_error="cover"``) or the file is
reported as failed with nothing written (``"report"``); uncertain OCR words next to PHI are covered;
an engine failure fails the file (or, with ``on_error="redact_all"``, covers every word of the page).

Example:
    >>> deid = ImageDeidentifier(ImageConfig())                          # doctest: +SKIP
    >>> [r.ok for r in deid.redact_files([Path("page.png")], Path("OUT"))]  # doctest: +SKIP
    [True]
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import DeidError, DetectionError, InputError
from engine.image.config import ImageConfig
from engine.image.draw import fill_regions, ocr_view, scale_word, scaled_view
from engine.image.errors import ImageInputError, OcrError, OcrUnavailableError, WriteError
from engine.image.formats import Scan, pdf_page_bytes, read_scan, write_scan
from engine.image.layout import PageText, Region, build_page_text, page_regions
from engine.image.ocr import Word, check_languages, read_page, tesseract_version
from engine.types import Document, Span

if TYPE_CHECKING:
    from PIL.Image import Image

    from engine.config import EngineConfig

#: Label and source of a whole-page region (a page whose OCR failed).
PAGE_LABEL = "REDACTED"
PAGE_SOURCE = "ocr_error"
#: Labels the engine's fail-closed path uses; always covered, whatever the label whitelist says.
ALWAYS_COVER = frozenset({"REDACTED", "LOW_CONFIDENCE"})

OcrFn = Callable[["Image", Any, "int | None"], list[Word]]


@dataclass(frozen=True, slots=True)
class PageReport:
    """What happened to one page (no text: counts, status and regions only)."""

    page: int
    width: int
    height: int
    ocr: str  # "ok" or "failed"
    words: int
    uncertain: int
    regions: tuple[Region, ...]
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d: dict[str, Any] = {
            "page": self.page,
            "width": self.width,
            "height": self.height,
            "ocr": self.ocr,
            "words": self.words,
            "uncertain_words": self.uncertain,
            "regions": [r.to_dict() for r in self.regions],
        }
        if self.error:
            d["error"] = self.error
        return d


@dataclass(frozen=True, slots=True)
class FileReport:
    """The outcome of one input file.

    Attributes:
        input: the input path as given.
        output: where the redacted file was written (``None`` when nothing was written).
        kind: the input kind (``png``, ``pdf``, ...), ``None`` when it could not be read.
        pages: one report per page.
        error: ``[code] message`` when the file failed (its messages name the file, never its text).
        bad_input: the failure was the input's fault (unreadable, encrypted, ...): exit code 2 / 4.
        timings: seconds per stage (``load``, ``ocr`` summed over pages, ``engine``, ``draw``, ``write``).
    """

    input: Path
    output: Path | None
    kind: str | None
    pages: tuple[PageReport, ...] = ()
    error: str | None = None
    bad_input: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the redacted file was written."""
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        """The JSON report: regions per page, no PHI text."""
        d: dict[str, Any] = {
            "input": self.input.name,
            "output": self.output.name if self.output else None,
            "kind": self.kind,
            "pages": [p.to_dict() for p in self.pages],
            "regions": sum(len(p.regions) for p in self.pages),
            "timings_s": {k: round(v, 4) for k, v in self.timings.items()},
        }
        if self.error:
            d["error"] = self.error
        return d


@dataclass(slots=True)
class _Pending:
    path: Path
    scan: Scan | None
    futures: list[Future[tuple[list[Word] | None, str | None, float]]]
    error: DeidError | None = None
    load_s: float = 0.0


class ImageDeidentifier:
    """De-identify scanned pages: OCR -> text engine -> word boxes -> filled rectangles.

    Args:
        config: the image settings (OCR, drawing, label whitelist, failure policy).
        engine_config: the text engine's settings (ignored when ``deidentifier`` is given).
        deidentifier: an already built :class:`engine.Deidentifier` (tests and long runs share one).
        ocr: the OCR function ``(image, OcrConfig, dpi) -> list[Word]`` (tests inject failing ones).
    """

    def __init__(
        self,
        config: ImageConfig | None = None,
        engine_config: EngineConfig | None = None,
        deidentifier: Any | None = None,
        ocr: OcrFn | None = None,
    ) -> None:
        self.config = config or ImageConfig()
        self._engine_config = engine_config
        self._engine = deidentifier
        self._ocr: OcrFn = ocr or read_page
        self._pool: ThreadPoolExecutor | None = None
        self._groups = 0

    # ---------------------------------------------------------------- lifecycle
    @property
    def engine(self) -> Any:
        """The text engine, built on first use (loading the model is explicit, not in ``__init__``)."""
        if self._engine is None:
            from engine.pipeline import Deidentifier

            self._engine = Deidentifier(self._engine_config)
        return self._engine

    @property
    def workers(self) -> int:
        """Pages OCR'd at once."""
        if self.config.workers:
            return self.config.workers
        try:
            return max(len(os.sched_getaffinity(0)), 1)
        except AttributeError:  # not Linux
            return os.cpu_count() or 1

    def check(self) -> str:
        """Fail early, before any file: Tesseract or its language data missing
        (:class:`OcrUnavailableError`) or the model not loadable (:class:`ArtifactError`), both exit
        code 3. Returns Tesseract's version line."""
        version = "injected"
        if self._ocr is read_page:
            version = tesseract_version(self.config.ocr.tesseract_cmd)
            check_languages(self.config.ocr)  # else every page would fail, and be covered
        self.engine  # noqa: B018 - loads the model now, so a bad artifact is not blamed on a file
        return version

    def close(self) -> None:
        """Stop the OCR worker threads."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ImageDeidentifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _submit(
        self, load: Callable[[], Image], dpi: int | None
    ) -> Future[tuple[list[Word] | None, str | None, float]]:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="ocr")
        return self._pool.submit(self._ocr_one, load, dpi)

    def _ocr_one(
        self, load: Callable[[], Image], dpi: int | None
    ) -> tuple[list[Word] | None, str | None, float]:
        # subtle: the worker loads (renders) the page itself and drops it after OCR, so at most
        # ``workers`` pages of a long PDF are in memory while it is read
        t0 = time.perf_counter()
        try:
            view, scale = scaled_view(ocr_view(load()), dpi, self.config.ocr.max_dpi)
            words = self._ocr(view, self.config.ocr, dpi if scale == 1.0 else self.config.ocr.max_dpi)
            if scale != 1.0:
                words = [scale_word(w, 1.0 / scale) for w in words]
        except OcrUnavailableError:
            raise  # a setup problem, not this page's: the run stops with exit code 3
        except OcrError as e:
            return None, str(e), time.perf_counter() - t0
        except Exception as e:  # fail closed: any other failure on this page is an OCR failure too
            return None, f"[E711] OCR failed on the page ({type(e).__name__})", time.perf_counter() - t0
        return words, None, time.perf_counter() - t0

    # ---------------------------------------------------------------- public API
    def redact_pages(
        self, pages: Sequence[Image], dpi: int | None = None
    ) -> tuple[list[Image], list[PageReport]]:
        """Redact page images in memory: the redacted pages and one report per page.

        The pages are one document (their texts share a ``group``). Raises :class:`OcrError` for a
        failed page when ``on_ocr_error="report"``.
        """
        self.check()
        pages = list(pages)
        futures = [self._submit(lambda p=p: p, dpi) for p in pages]  # type: ignore[misc]
        images: list[Image] = []
        reports = self._finish_pages(pages.__getitem__, futures, {}, images.append)
        return images, reports

    def redact_files(
        self,
        paths: Iterable[Path],
        outdir: Path,
        force: bool = False,
        on_page: Callable[[int], None] | None = None,
    ) -> Iterator[FileReport]:
        """Redact each file into ``outdir`` (same name and format, plus ``<stem>.json``), in input order.

        A bad file yields a failed :class:`FileReport` and the others go on. OCR runs ahead on the
        next files while one is finished, so single-page files keep every worker busy too.
        ``on_page(n)`` is called as pages finish (a progress bar).
        """
        self.check()
        outdir.mkdir(parents=True, exist_ok=True)
        pending: deque[_Pending] = deque()
        for path in paths:
            pending.append(self._start(Path(path), outdir, force))
            while len(pending) > self.workers:
                yield self._finish(pending.popleft(), outdir, on_page)
        while pending:
            yield self._finish(pending.popleft(), outdir, on_page)

    # ---------------------------------------------------------------- stages
    def _start(self, path: Path, outdir: Path, force: bool) -> _Pending:
        t0 = time.perf_counter()
        try:
            check_output(path, outdir, force)
            scan = read_scan(path, self.config.ocr.dpi)
            small = [size for size in scan.page_sizes() if min(size) < self.config.ocr.min_side]
            if small:
                scan.close()
                w, h = small[0]
                raise ImageInputError(
                    "E704",
                    f"{path.name}: a page of {w}x{h} px is too small to hold text",
                    fix=f"Pages need at least {self.config.ocr.min_side} px a side (image.ocr.min_side).",
                )
        except DeidError as e:
            return _Pending(path, None, [], e)
        futures = [
            self._submit(lambda i=i: scan.page(i), d or self.config.ocr.dpi)  # type: ignore[misc]
            for i, d in enumerate(scan.dpi)
        ]
        return _Pending(path, scan, futures, None, time.perf_counter() - t0)

    def _finish(self, job: _Pending, outdir: Path, on_page: Callable[[int], None] | None) -> FileReport:
        if job.scan is None:
            err = job.error
            return FileReport(job.path, None, None, error=str(err), bad_input=isinstance(err, InputError))
        scan = job.scan
        timings: dict[str, float] = {"load": job.load_s}
        try:
            # a PDF's redacted pages are compressed one by one as they are drawn (bounded memory)
            done: list[Any] = []
            sink = (
                (lambda im: done.append(pdf_page_bytes(im, scan.dpi[0])))
                if scan.kind == "pdf"
                else done.append
            )
            reports = self._finish_pages(scan.page, job.futures, timings, sink, on_page)
            t0 = time.perf_counter()
            out = outdir / scan.path.name
            _atomic(out, lambda tmp: write_scan(scan, done, tmp))
            timings["write"] = timings.get("write", 0.0) + time.perf_counter() - t0
            report = FileReport(job.path, out, scan.kind, tuple(reports), timings=timings)
            text = json.dumps(report.to_dict(), indent=1) + "\n"
            _atomic(outdir / f"{scan.path.stem}.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
        except OcrUnavailableError:
            raise  # Tesseract went away during the run: a setup problem, exit code 3
        except DeidError as e:
            return FileReport(job.path, None, scan.kind, error=str(e), bad_input=isinstance(e, InputError))
        except OSError as e:  # disk full, permissions: this file failed, the others go on
            (outdir / scan.path.name).unlink(missing_ok=True)
            err = WriteError("E709", f"{scan.path.name}: cannot write the output ({type(e).__name__})")
            return FileReport(job.path, None, scan.kind, error=str(err))
        finally:
            # subtle: after a failed page under "report", other pages of this file may still be in
            # OCR (rendering from the open PDF): cancel or wait for them before closing it
            for f in job.futures:
                f.cancel()
            wait(job.futures)
            scan.close()
        return report

    def _finish_pages(
        self,
        load: Callable[[int], Image],
        futures: list[Future[tuple[list[Word] | None, str | None, float]]],
        timings: dict[str, float],
        sink: Callable[[Image], None],
        on_page: Callable[[int], None] | None = None,
    ) -> list[PageReport]:
        """OCR results -> engine -> regions -> filled pages, handed to ``sink`` in page order."""
        cfg = self.config
        texts: list[PageText | None] = []
        errors: list[str | None] = []
        ocr_s = 0.0
        for fut in futures:
            words, err, secs = fut.result()
            ocr_s += secs
            if err is not None and cfg.on_ocr_error == "report":
                for f in futures:
                    f.cancel()
                raise OcrError("E711", f"OCR failed on page {len(texts) + 1}: {err}")
            texts.append(None if words is None else build_page_text(words, cfg.ocr.min_conf))
            errors.append(err)
        timings["ocr"] = ocr_s
        t0 = time.perf_counter()
        spans = self._detect(texts)
        timings["engine"] = time.perf_counter() - t0
        load_s = draw_s = write_s = 0.0
        reports: list[PageReport] = []
        for n, (pt, ss, err) in enumerate(zip(texts, spans, errors, strict=True), start=1):
            tl = time.perf_counter()
            page = load(n - 1)  # a PDF page is rendered again here: it was dropped after OCR
            t0 = time.perf_counter()
            load_s += t0 - tl
            size = page.size
            if pt is None:
                regions = [Region(n, (0, 0, *size), PAGE_LABEL, None, 1.0, PAGE_SOURCE)]
                report = PageReport(n, *size, "failed", 0, 0, tuple(regions), err)
            else:
                regions = page_regions(
                    n, pt, ss, size, cfg.draw.padding, cfg.ocr.conf_threshold, cfg.low_conf
                )
                uncertain = sum(w.conf < cfg.ocr.conf_threshold for w in pt.words)
                report = PageReport(n, *size, "ok", len(pt.words), uncertain, tuple(regions))
            redacted = fill_regions(page, regions, cfg.draw.rgb)
            t1 = time.perf_counter()
            sink(redacted)
            draw_s += t1 - t0
            write_s += time.perf_counter() - t1
            reports.append(report)
            if on_page is not None:
                on_page(1)
        timings["load"] = timings.get("load", 0.0) + load_s
        timings["draw"] = draw_s
        timings["write"] = write_s
        return reports

    def _detect(self, texts: list[PageText | None]) -> list[list[Span]]:
        """Engine spans per page (pages of one file share a group), filtered by the label whitelist."""
        self._groups += 1
        group = f"scan{self._groups}"  # subtle: never the file name, which may itself hold PHI
        docs = [Document(f"p{i + 1}", t.text, group) for i, t in enumerate(texts) if t is not None and t.text]
        by_id = {r.id: r for r in self.engine.detect_many(docs)} if docs else {}
        missing = [d.id for d in docs if d.id not in by_id]
        if missing:  # fail closed: a page without a result would go out unredacted
            raise DetectionError("E716", f"the engine returned no result for pages {missing[:5]}")
        keep = self.config.labels
        out: list[list[Span]] = []
        for i, _ in enumerate(texts):
            res = by_id.get(f"p{i + 1}")
            spans = list(res.spans) if res is not None else []
            if keep is not None:
                spans = [s for s in spans if s.label in keep or s.label in ALWAYS_COVER]
            out.append(spans)
        return out


def check_output(path: Path, outdir: Path, force: bool) -> None:
    """Refuse to overwrite the input, or an existing output without ``force`` (E708)."""
    out = outdir / path.name
    try:
        same = out.resolve() == path.resolve()
    except OSError:
        same = False
    if same:
        raise ImageInputError(
            "E708", f"{path.name}: the output would overwrite the input", fix="Choose another -o directory."
        )
    if not force:
        for target in (out, outdir / f"{path.stem}.json"):
            if target.exists():
                raise ImageInputError(
                    "E708", f"{target.name} exists in the output directory", fix="Pass --force to overwrite."
                )


def _atomic(target: Path, write: Callable[[Path], object]) -> None:
    """Write through a temporary file beside ``target`` and rename it, so no half file is left."""
    tmp = target.with_name(f".{target.stem}.tmp{os.getpid()}{target.suffix}")
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
