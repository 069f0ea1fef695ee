"""Text for export (to a file), import and config."""

from __future__ import annotations

from mlpath.config import ConfigResult, Setting, SettingChange
from mlpath.export import SECTIONS, ImportResult
from mlpath.render.output import Out, Segment, join, plural
from mlpath.tuples import NamedTuple

_NAMES = {
    "settings": ("setting", "settings"),
    "events": ("topic change", "topic changes"),
    "entries": ("journal entry", "journal entries"),
    "breaks": ("break week", "break weeks"),
    "projects": ("project", "projects"),
}


def _counted(counts: dict[str, int]) -> str:
    parts = [plural(counts[k], *_NAMES[k]) for k in SECTIONS if counts[k]]
    return join(parts) if parts else "nothing"


class ExportSummary(NamedTuple):
    format: str  # json | markdown
    path: str
    counts: dict[str, int]  # records written, by what they are about (as import counts them)


def render_exported(result: ExportSummary, out: Out) -> None:
    out.line(("Exported ", "bold"), _counted(result.counts), f" to {result.path}")


def render_imported(result: ImportResult, out: Out) -> None:
    source = f"mlpath export v{result.version}" if result.format == "mlpath" else "jrnl"
    out.line(("Imported ", "bold"), f"{result.file} ({source}): ", _counted(result.added))
    if any(result.unchanged.values()):
        out.line((f"Already in your store: {_counted(result.unchanged)}", "grey50"))


def _value(setting: Setting) -> str:
    if setting.value is None:
        return "not set"
    if isinstance(setting.value, str):
        return setting.value
    default = " (default)" if setting.value == setting.default else ""
    return f"{setting.value:g}{default}"


def _row(setting: Setting) -> list[Segment]:
    return [(setting.key, "bold"), _value(setting), (setting.description, "grey50")]


def render_config(result: ConfigResult, out: Out) -> None:
    out.table([_row(s) for s in result.settings], indent=0)
    out.blank()
    out.line(("Change one with `mlpath config set KEY VALUE`.", "grey50"))


def render_setting(setting: Setting, out: Out) -> None:
    out.table([_row(setting)], indent=0)


def render_change(change: SettingChange, out: Out) -> None:
    shown = Setting(change.key, change.value, change.default, change.description)
    if change.before == change.value:
        out.line((change.key, "bold"), f" is already {_value(shown)}; nothing to change")
        return
    before = Setting(change.key, change.before, change.default, change.description)
    out.line((change.key, "bold"), f"  {_value(before)} → {_value(shown)}",
             (f"  {change.description}", "grey50"))  # fmt: skip
