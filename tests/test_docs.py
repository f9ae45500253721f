"""The project's documentation stays true to the tree: every reference in the README,
docs/ and the code resolves inside this repository."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
CODE = [
    path
    for folder in ("reedsailing", "crawler", "tests", "bench", "deploy", "migrations", ".ci")
    for path in (ROOT / folder).rglob("*")
    if path.is_file()
    and path.suffix in {".py", ".html", ".conf", ".service", ".example", ""}
    and "node_modules" not in path.parts
] + [ROOT / name for name in ("config.py", "wsgi.py", "manage.py", "Makefile", "README.md")]
# Documents that live outside this repository and must never be cited as if they were in it.
FOREIGN = ("api-contract.md", "original-system.md", "bykc-protocol.md", "seed-readme.md", "style.md")
REPO_PATH = re.compile(r"`((?:reedsailing|crawler|tests|bench|deploy|docs|migrations)/[\w./-]+)`")
DOC_SECTION = re.compile(r"docs/(\w[\w-]*)\.md(?: (§\d+(?:\.\d+)?))?")


def test_links_and_paths_in_the_readme_and_docs_exist():
    missing = []
    for doc in [ROOT / "README.md", *DOCS]:
        text = doc.read_text()
        for match in re.finditer(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            target = match.group(1)
            if not target.startswith(("http://", "https://")) and not (doc.parent / target).exists():
                missing.append(f"{doc.name}: link {target}")
        for match in REPO_PATH.finditer(text):
            path = match.group(1).rstrip("/")
            if "<" not in path and "*" not in path and not (ROOT / path).exists():
                missing.append(f"{doc.name}: path {path}")
    assert not missing, missing


def _sections(doc):
    return set(re.findall(r"^#+ (\d+(?:\.\d+)?)\.? ", doc.read_text(), flags=re.M))


def test_every_docs_reference_in_the_code_names_an_existing_file_and_section():
    missing = []
    for path in CODE:
        text = path.read_text(errors="replace")
        for match in DOC_SECTION.finditer(text):
            doc = ROOT / "docs" / f"{match.group(1)}.md"
            if not doc.exists():
                missing.append(f"{path.relative_to(ROOT)}: {doc.name}")
            elif match.group(2) and match.group(2)[1:] not in _sections(doc):
                missing.append(f"{path.relative_to(ROOT)}: {doc.name} {match.group(2)}")
    assert not missing, missing


def test_nothing_cites_documents_that_are_not_in_the_repository():
    cited = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in [*CODE, *DOCS]
        if path != Path(__file__).resolve()
        for name in FOREIGN
        if name in path.read_text(errors="replace")
    ]
    assert not cited, cited
