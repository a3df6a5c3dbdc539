"""MkDocs hooks (mkdocs.yml `hooks:`): links from docs/ to the rest of the repository.

The pages link to examples, plugins and sources with relative paths (``../examples/wenxian/``)
so that they read well on disk and in a code browser. On the site those files do not exist:
this hook checks each target is in the repository (a missing one is a warning, so an error
under ``--strict``), copies it into the site under ``source/`` and points the link there.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

log = logging.getLogger("mkdocs.plugins.serviceframe")
ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\((\.\./[^)#\s]*)(#[^)\s]*)?\)")
_copied: set[Path] = set()


def _target(page_src: str, link: str) -> Path | None:
    """The repository file a page's link names, or None when it stays inside docs/."""
    resolved = (ROOT / "docs" / PurePosixPath(page_src).parent / link).resolve()
    if resolved.is_relative_to(ROOT / "docs"):
        return None
    if resolved.is_dir():
        resolved = resolved / "README.md"
    return resolved


SCHEME = "sf-source:"  # a link with a scheme is left alone by MkDocs' link validation


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    def rewrite(m: re.Match[str]) -> str:
        target = _target(page.file.src_uri, m.group(1))
        if target is None:
            return m.group(0)
        if not target.is_file() or not target.is_relative_to(ROOT):
            log.warning(
                "%s links to %s, which is not in the repository", page.file.src_uri, m.group(1)
            )
            return m.group(0)
        _copied.add(target)
        return f"]({SCHEME}{target.relative_to(ROOT).as_posix()}{m.group(2) or ''})"

    return LINK.sub(rewrite, markdown)


def on_page_content(html: str, page: Any, **_: Any) -> str:
    depth = page.file.dest_uri.count("/")  # howto/postgresql/index.html: two levels down
    return html.replace(f'href="{SCHEME}', f'href="{"../" * depth}source/')


def on_post_build(config: Any, **_: Any) -> None:
    for path in _copied:
        out = Path(config["site_dir"]) / "source" / path.relative_to(ROOT)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out)
