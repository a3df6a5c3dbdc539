"""``serviceframe plugin new``: a ready plugin package, from the templates in plugin_templates/.

The package has a pyproject with the ``serviceframe`` entry point, the hook implementation and
its tests (serviceframe's fixtures and contract suites); it installs and passes its tests as
written. Templates are package data filled with :class:`string.Template` (``${module}``…).
"""

import re
from importlib.resources import files
from pathlib import Path
from string import Template

from serviceframe.errors import ValidationError

KINDS = {
    "channel": "A serviceframe channel: notifications as JSON files in a gateway's spool folder.",
    "report": "A serviceframe report: a county's own bulletin (服务企业工作简报).",
    "classifier": "A serviceframe classifier: the office's own words for the nine categories.",
}
USAGE = {
    "channel": (
        'In the organisation file:\n\n```toml\n[[channels]]\nname = "${entry}"\n'
        'kind = "${entry}"\nsettings = { spool = "/var/spool/${entry}" }\n```'
    ),
    "report": "`serviceframe report run ${entry} --period 2026-Q4 --format html --out ${entry}.html`",
    "classifier": "`serviceframe issue file …` suggests the category the plugin's words give.",
}
NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")


def module_name(name: str) -> str:
    """``wenxian-sms`` → ``wenxian_sms``: the import name, also the entry point and kind."""
    if not NAME.match(name):
        raise ValidationError(
            "NAME",
            name,
            "lower-case letters, digits and single - or _ between them, e.g. wenxian-sms",
        )
    return name.replace("-", "_")


def files_for(name: str, kind: str) -> dict[str, str]:
    """The package's files (path relative to its folder → text)."""
    from serviceframe import __version__

    if kind not in KINDS:
        raise ValidationError("--kind", kind, f"one of {', '.join(KINDS)}")
    module = module_name(name)
    values = {
        "name": name,
        "module": module,
        "entry": module,
        "kind": kind,
        "summary": KINDS[kind],
        "serviceframe_version": __version__,
    }
    values["usage"] = Template(USAGE[kind]).substitute(values)
    templates = files("serviceframe") / "plugin_templates"

    def fill(folder: str, template: str) -> str:
        return Template((templates / folder / template).read_text("utf-8")).substitute(values)

    return {
        "pyproject.toml": fill("common", "pyproject.toml.tmpl"),
        "README.md": fill("common", "README.md.tmpl"),
        f"src/{module}/__init__.py": fill(kind, "plugin.py.tmpl"),
        f"tests/test_{module}.py": fill(kind, "test_plugin.py.tmpl"),
    }


def write_plugin(name: str, kind: str, directory: Path) -> Path:
    """Write the package into ``directory/name`` (which must not exist yet); its folder."""
    package = directory / name
    contents = files_for(name, kind)
    if package.exists():
        raise ValidationError("NAME", name, f"{package} exists already; choose another --dir")
    for relative, text in contents.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return package
