"""The docs site: every public name in the API pages, runnable examples, plots made by the CLI."""

from __future__ import annotations

import contextlib
import doctest
import importlib.util
import io
import re
import shlex
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

import lrsched as ls
from lrsched.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# Pages whose examples this test runs (others, e.g. migration.md, are tested by their owners).
EXAMPLE_PAGES = [
    "index.md",
    "tutorial.md",
    "data.md",
    "cli.md",
    "cookbook.md",
    "runs.md",
    "arrays.md",
]


def load_hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lrsched_docs_hooks", DOCS / "hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = load_hooks()


def test_every_public_name_is_in_the_api_reference() -> None:
    reference = hooks.api_reference()
    documented = re.findall(r"^::: lrsched\.(\w+)$", reference, flags=re.MULTILINE)
    assert sorted(documented) == sorted(ls.__all__)
    assert "<!-- lrsched-api -->" in (DOCS / "api.md").read_text()


def test_api_reference_groups() -> None:
    reference = hooks.api_reference()
    sections = dict(re.findall(r"^## (.+)\n\n(?:.+\n\n)?((?:::: .+\n*)+)", reference, re.MULTILINE))
    assert "::: lrsched.cosine" in sections["Schedules"]
    assert "::: lrsched.warmup" in sections["Combinators"]
    assert "::: lrsched.product" in sections["Combinators"]
    assert "::: lrsched.parse" in sections["Text and dict forms"]
    assert "::: lrsched.Schedule" in sections["Core"]
    assert "::: lrsched.bind" in sections["torch"]
    assert "Other" not in sections


def test_every_page_of_the_navigation_exists() -> None:
    nav = re.findall(r"^  - [^:]+: (\S+\.md)$", (ROOT / "mkdocs.yml").read_text(), re.MULTILINE)
    assert {"index.md", "semantics.md", "migration.md", "cookbook.md", "api.md"} <= set(nav)
    for page in nav:
        assert (DOCS / page).exists() or page in hooks.PLACEHOLDERS, page


@pytest.mark.parametrize("page", EXAMPLE_PAGES)
def test_examples_in_pages_run(page: str) -> None:
    result = doctest.testfile(
        str(DOCS / page),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE,
        verbose=False,
        report=True,
    )
    assert result.failed == 0
    if page != "cli.md":
        assert result.attempted > 0


def console_examples() -> list[tuple[str, str, str]]:
    found = []
    for page in EXAMPLE_PAGES:
        for block in re.findall(r"```console\n(.*?)```", (DOCS / page).read_text(), re.DOTALL):
            for example in re.split(r"^(?=\$ )", block, flags=re.MULTILINE):
                command, _, output = example.partition("\n")
                if command.startswith("$ lrsched ") and " plot " not in command:
                    found.append((page, command[2:], output))
    assert len(found) >= 6
    return found


@pytest.mark.parametrize(("page", "command", "output"), console_examples())
def test_console_examples_in_pages_print_what_they_show(
    page: str, command: str, output: str
) -> None:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        main(shlex.split(command)[1:])
    assert printed.getvalue() == output, page


def plot_blocks() -> list[tuple[str, str, str]]:
    return [
        (page, match["options"], match["body"])
        for page in sorted(p.name for p in DOCS.glob("*.md"))
        for match in hooks.PLOT_BLOCK.finditer((DOCS / page).read_text())
    ]


def test_the_cookbook_has_a_plot_per_recipe() -> None:
    names = {hooks.parse_block(o, b)[1]["name"] for p, o, b in plot_blocks() if p == "cookbook.md"}
    assert names == {"resnet", "warmup-cosine", "inverse-sqrt", "one-cycle", "wsd"}


@pytest.mark.parametrize(("page", "options", "body"), plot_blocks())
def test_plot_blocks_hold_valid_expressions(page: str, options: str, body: str) -> None:
    exprs, parsed = hooks.parse_block(options, body)
    assert exprs, page
    assert int(parsed["epochs"]) > 0
    assert re.fullmatch(r"[a-z0-9-]+", parsed["name"])
    for expr in exprs:
        assert isinstance(ls.parse(expr), ls.Schedule)


class _Files:
    def __init__(self) -> None:
        self.added: dict[str, object] = {}

    def get_file_from_path(self, path: str) -> object | None:
        return self.added.get(path)

    def remove(self, file: object) -> None:
        self.added = {k: v for k, v in self.added.items() if v is not file}

    def append(self, file: SimpleNamespace) -> None:
        self.added[file.src_uri] = file


def test_the_hook_runs_the_cli_and_adds_the_image(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("mkdocs")
    from mkdocs.structure import files as mkdocs_files  # noqa: PLC0415

    def generated(config: object, src_uri: str, *, content: bytes) -> SimpleNamespace:
        return SimpleNamespace(src_uri=src_uri, content=content)

    monkeypatch.setattr(mkdocs_files.File, "generated", staticmethod(generated))
    files = _Files()
    page = SimpleNamespace(file=SimpleNamespace(src_uri="guide/page.md"))
    markdown = (
        "Before.\n\n```lrsched-plot name=demo epochs=20 log\n"
        "step(5, 0.5)\n0.5 * cosine(20)\n```\nAfter.\n"
    )
    out = hooks.on_page_markdown(markdown, page, None, files)
    assert out == (
        "Before.\n\n```console\n"
        "$ lrsched plot 'step(5, 0.5)' '0.5 * cosine(20)' --epochs 20 --log -o demo.png\n"
        "```\n\n![demo](../assets/plots/demo.png)\n\nAfter.\n"
    )
    image = files.added["assets/plots/demo.png"]
    assert image.content.startswith(b"\x89PNG")  # type: ignore[attr-defined]


def test_the_hook_reports_a_bad_plot_block(caplog: pytest.LogCaptureFixture) -> None:
    page = SimpleNamespace(file=SimpleNamespace(src_uri="page.md"))
    markdown = "```lrsched-plot name=bad epochs=20\ncosin(20)\n```\n"
    assert hooks.on_page_markdown(markdown, page, None, _Files()) == markdown
    assert "unknown function 'cosin'" in caplog.text
    assert caplog.records[-1].levelname == "WARNING"  # which fails a strict build


def test_the_readme_main_job_shows_a_schedule(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (ROOT / "README.md").read_text()
    command = readme.split("# 1. the main job", 1)[1].splitlines()[1]
    steps = [step.strip() for step in command.split("&&")]
    assert "pip install -e ." in steps
    (show,) = [step for step in steps if step.startswith("lrsched ")]
    argv = shlex.split(show)
    assert argv[:2] == ["lrsched", "show"]
    assert main(argv[1:]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == repr(ls.parse(argv[2]))
    assert lines[1] == "epoch  value"
    assert lines[-1].startswith("min ")


def test_examples_in_the_recipes_page_run() -> None:
    result = doctest.testfile(
        str(DOCS / "recipes.md"), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.failed == 0
    assert result.attempted >= 2


# The binding's "install torch" hint is the binding's to reword (its test asserts the text).
KNOWN_OLD_INSTALL_NAME = {"adapter.py", "_bound.py", "_plan.py"}


def test_every_install_line_names_the_distribution_lrsched_algebra() -> None:
    texts = {path.name: path.read_text() for path in [ROOT / "README.md", *DOCS.glob("*.md")]}
    texts |= {
        path.name: path.read_text()
        for path in (ROOT / "lrsched").glob("*.py")
        if path.name not in KNOWN_OLD_INSTALL_NAME
    }
    installs = 0
    for name, text in texts.items():
        assert "lrsched[" not in text, name  # the extras belong to lrsched-algebra
        for match in re.finditer(r"pip install[^\n`]*", text):
            installs += 1
            warned = re.match(r"`?\s+(?:would install|installs)\s+that\s+one", text[match.end() :])
            bare = re.search(r"pip install (?:-U )?['\"]?lrsched(?![\w-])", match[0])
            assert warned or not bare, (name, match[0])  # only the warning names the other one
    assert installs >= 8
