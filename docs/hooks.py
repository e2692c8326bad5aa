"""mkdocs hooks for lrsched's site (declared in mkdocs.yml).

- A fenced block ```` ```lrsched-plot name=NAME epochs=N [log] [breakpoints] ```` whose lines
  are schedule expressions becomes the `lrsched plot` command that draws them, and the picture
  itself: the command is run (in-process) at build time, so every plot on the site is made by
  the CLI from the text next to it.
- Math written `$...$` (inline) or `$$...$$` (a block), in pages and in docstrings, is marked
  by `pymdownx.arithmatex` and turned into MathML here, after the page is rendered: browsers
  draw MathML themselves, so the site loads no math script and the build fetches nothing.
- The marker ``<!-- lrsched-api -->`` becomes the API reference: one mkdocstrings entry per name
  in ``lrsched.__all__``, grouped, so a public name added later appears without editing a page.
- Pages that other parts of the project write (``migration.md``, ``performance.md``) get a short
  placeholder while they do not exist yet, so the navigation always builds.
"""

# ruff: noqa: INP001 (mkdocs loads this file by path; it is not part of a package)

from __future__ import annotations

import ast
import contextlib
import html
import importlib.util
import inspect
import io
import logging
import posixpath
import re
import shlex
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.hooks.lrsched")

PLOT_BLOCK = re.compile(
    r"^```lrsched-plot(?P<options>[^\n]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL
)
API_MARKER = "<!-- lrsched-api -->"
PLOT_DIR = "assets/plots"
PLACEHOLDERS = {
    "migration.md": "Migrating from other libraries",
    "performance.md": "Performance",
}

GROUPS: dict[str, str] = {
    "Core": "The schedule type and the one exception type.",
    "Schedules": "Leaf schedules: functions of time built from numbers.",
    "Combinators": "Schedules built from other schedules.",
    "Text and dict forms": "Reading and writing schedules as text and as plain data.",
    "Pictures": "Plots of schedules (matplotlib, the `[plot]` extra); notebooks show a schedule "
    "as a picture by themselves.",
    "Runs": "A run's length, to bind schedules written over the fraction of training or in "
    "epochs (see the runs page).",
    "torch": "The torch binding (these import torch when first used).",
    "Other libraries": "Schedules by the names other libraries give them, and their live "
    "schedulers converted (no peer is imported).",
    "Other": "",
}


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add a placeholder for each page of the navigation that does not exist yet."""
    from mkdocs.structure.files import File  # noqa: PLC0415 (mkdocs is there when this runs)

    for name, title in PLACEHOLDERS.items():
        if files.get_file_from_path(name) is None:
            log.info("lrsched: %s does not exist yet; using a placeholder", name)
            text = f"# {title}\n\nThis page is being written.\n"
            files.append(File.generated(config, name, content=text))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Expand plot blocks and the API marker."""
    markdown = PLOT_BLOCK.sub(lambda match: _plot(match, page, config, files), markdown)
    if API_MARKER in markdown:
        markdown = markdown.replace(API_MARKER, api_reference())
    return markdown


_MATH = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\\(?P<open>[(\[])(?P<tex>.*?)\\[)\]]</(?P=tag)>',
    re.DOTALL,
)


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:  # noqa: ARG001 (mkdocs' signature)
    """Render the math of a page as MathML."""
    return math_to_mathml(output, page.file.src_uri)


def math_to_mathml(html_text: str, where: str = "") -> str:
    """Replace each `arithmatex` span (inline) or div (block) by its MathML."""
    from latex2mathml.converter import convert  # noqa: PLC0415 (a docs dependency)

    def mathml(match: re.Match[str]) -> str:
        tex = html.unescape(match["tex"]).strip()
        block = match["open"] == "["
        try:
            return convert(tex, display="block" if block else "inline")
        except Exception as error:  # noqa: BLE001 (any failure is reported, then fails --strict)
            log.warning("%s: cannot render the math %r: %s", where, tex, error)
            return match[0]

    return _MATH.sub(mathml, html_text)


def plot_command(exprs: list[str], options: dict[str, str]) -> list[str]:
    """The arguments of `lrsched` (after the program name) for one plot block."""
    argv = ["plot", *exprs, "--epochs", options["epochs"]]
    if "log" in options:
        argv.append("--log")
    if "breakpoints" in options:
        argv.append("--breakpoints")
    return argv


def parse_block(options_text: str, body: str) -> tuple[list[str], dict[str, str]]:
    """The expressions (one per non-empty line) and options (`key=value` or flags)."""
    options = {}
    for item in options_text.split():
        key, _, value = item.partition("=")
        options[key] = value
    exprs = [line.strip() for line in body.splitlines() if line.strip()]
    return exprs, options


def _plot(match: re.Match[str], page: Page, config: MkDocsConfig, files: Files) -> str:
    from mkdocs.structure.files import File  # noqa: PLC0415 (mkdocs is there when this runs)

    from lrsched.cli import main  # noqa: PLC0415 (the plots are made by the CLI itself)

    exprs, options = parse_block(match["options"], match["body"])
    where = page.file.src_uri
    if "name" not in options or "epochs" not in options or not exprs:
        log.warning("%s: an lrsched-plot block needs name=, epochs= and expressions", where)
        return match[0]
    argv = plot_command(exprs, options)
    with tempfile.TemporaryDirectory() as folder:
        image = Path(folder) / f"{options['name']}.png"
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main([*argv, "-o", str(image)])
        if status != 0:
            log.warning("%s: `lrsched %s` failed:\n%s", where, shlex.join(argv), err.getvalue())
            return match[0]
        content = image.read_bytes()
    uri = f"{PLOT_DIR}/{options['name']}.png"
    old = files.get_file_from_path(uri)
    if old is not None:
        files.remove(old)
    files.append(File.generated(config, uri, content=content))
    shown = ["lrsched", *argv[:1], *(shlex.quote(e) for e in exprs), *argv[1 + len(exprs) :]]
    command = " ".join([*shown, "-o", f"{options['name']}.png"])
    target = posixpath.relpath(uri, posixpath.dirname(where) or ".")
    alt = options["name"].replace("-", " ")
    return f"```console\n$ {command}\n```\n\n![{alt}]({target})\n"


def api_reference() -> str:
    """Markdown for the API page: every name in `lrsched.__all__`, grouped."""
    import lrsched  # noqa: PLC0415

    origins = public_origins()
    groups: dict[str, list[str]] = {title: [] for title in GROUPS}
    for name in lrsched.__all__:
        groups[_group(name, origins.get(name, ""))].append(name)
    parts = []
    for title, names in groups.items():
        if not names:
            continue
        intro = f"{GROUPS[title]}\n\n" if GROUPS[title] else ""
        entries = "\n\n".join(_entries(name) for name in names)
        parts.append(f"## {title}\n\n{intro}{entries}\n")
    return "\n".join(parts)


def _entries(name: str) -> str:
    """The entry of a public name, and of the class it returns if that has methods of its own.

    `plateau` returns a `Plateau`, whose `record` a user calls: it gets an entry too.
    """
    import lrsched  # noqa: PLC0415
    from lrsched._core import Schedule  # noqa: PLC0415

    entry = f"::: lrsched.{name}"
    obj = getattr(lrsched, name) if name not in lrsched._TORCH_NAMES else None
    if obj is None or inspect.isclass(obj) or not callable(obj):
        return entry
    annotation = inspect.signature(obj).return_annotation  # a string: annotations are lazy
    returned = getattr(sys.modules[obj.__module__], str(annotation), None)
    if not inspect.isclass(returned) or returned is Schedule or not issubclass(returned, Schedule):
        return entry
    own = [m for m in vars(returned) if not m.startswith("_") and m not in vars(Schedule)]
    if not own:
        return entry
    where = f"{returned.__module__}.{returned.__qualname__}"
    return f"{entry}\n\n::: {where}\n    options:\n      show_root_full_path: false"


def public_origins() -> dict[str, str]:
    """Name -> defining module for the imports of `lrsched/__init__.py`, read statically.

    Static, so that names bound lazily (the torch binding) are found without importing torch.
    """
    spec = importlib.util.find_spec("lrsched")
    if spec is None or spec.origin is None:
        msg = "lrsched is not installed"
        raise RuntimeError(msg)
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    origins = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                origins[alias.asname or alias.name] = node.module
    return origins


def _group(name: str, module: str) -> str:
    from lrsched._registry import CONSTRUCTORS  # noqa: PLC0415

    if module in {"lrsched.adapter", "lrsched.interop", "lrsched._on_device"}:
        return "torch"
    if name in CONSTRUCTORS:
        first: Any = next(iter(inspect.signature(CONSTRUCTORS[name]).parameters.values()), None)
        takes_schedules = first is not None and "Schedule" in str(first.annotation)
        return "Combinators" if takes_schedules else "Schedules"
    by_module = {
        "lrsched._display": "Pictures",
        "lrsched._parse": "Text and dict forms",
        "lrsched._serialize": "Text and dict forms",
        "lrsched._core": "Core",
        "lrsched._errors": "Core",
        "lrsched._run": "Runs",
        "lrsched._hf": "Other libraries",
        "lrsched._timm": "Other libraries",
        "lrsched._fvcore": "Other libraries",
        "lrsched._ignite": "Other libraries",
        "lrsched._keras": "Other libraries",
        "lrsched._optax": "Other libraries",
    }
    return by_module.get(module, "Other")
