"""backup (with --list and restore) and doctor."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from mlpath.cli.common import JsonOpt, emit, path_value

app = typer.Typer()
_JSON = "mlpath.backup.json"  # the group's --json, for `backup --json restore FILE`
_SUBCOMMAND = "mlpath.backup.subcommand"


class _BackupGroup(TyperGroup):
    """`mlpath backup [PATH]` and `mlpath backup restore FILE` in one group: a first word
    that names a subcommand is that subcommand, any other is PATH. A file named like a
    subcommand is backed up to as ./restore (or after `--`)."""

    allow_interspersed_args = True  # `backup PATH --json`, as before the group existed

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        for at, word in enumerate(args):
            if word == "--":
                break
            if word.startswith("-") and word != "-":  # the group's options are all flags
                continue
            if word in self.commands:
                super().parse_args(ctx, args[:at])
                ctx.meta[_SUBCOMMAND] = True
                ctx._protected_args, ctx.args = [word], args[at + 1 :]
                return list(ctx.args)
            break
        return super().parse_args(ctx, args)

    def get_params(self, ctx: Any) -> list[Any]:
        # With a subcommand, PATH is no part of the command: not in `mlpath backup restore`.
        params = super().get_params(ctx)
        if ctx.meta.get(_SUBCOMMAND):
            return [p for p in params if p.name != "path"]
        return params


backup_app = typer.Typer(
    cls=_BackupGroup,
    invoke_without_command=True,
    subcommand_metavar="| restore FILE",
    context_settings={"help_option_names": ["-h", "--help"]},
)


@backup_app.callback()
def backup(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(
            metavar="PATH",
            help="A file or folder to copy to (default: rotated copies in $MLPATH_HOME/backups).",
            parser=path_value,
        ),
    ] = None,
    listing: Annotated[
        bool, typer.Option("--list", help="List the backups in $MLPATH_HOME/backups, newest first.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Copy your store safely while mlpath may be in use, and check the copy; list your
    backups; or restore one (`mlpath backup restore FILE`)."""
    from mlpath import maintenance
    from mlpath.render import maintenance as text

    if ctx.invoked_subcommand is not None:
        if listing:
            raise typer.BadParameter("goes without a subcommand", param_hint="'--list'")
        ctx.meta[_JSON] = as_json
        return
    if listing:
        if path is not None:
            raise typer.BadParameter("takes no PATH", param_hint="'--list'")
        emit("backup --list", maintenance.list_backups(), as_json, text.render_backup_list)
        return
    emit("backup", maintenance.backup(path), as_json, text.render_backup)


@backup_app.command("restore")
def restore(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="A backup: a path, or a name `mlpath backup --list` shows.",
            parser=path_value,
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Put a backup back as your store: checked first, the current store kept as a backup."""
    from mlpath import maintenance
    from mlpath.render import maintenance as text

    as_json = as_json or bool(ctx.meta.get(_JSON))
    emit("backup restore", maintenance.restore(file), as_json, text.render_restore)


@app.command(rich_help_panel="Your data")
def doctor(as_json: JsonOpt = False) -> None:
    """Check your store, its backups and the roadmaps, and say where your data is."""
    from mlpath import maintenance
    from mlpath.render import maintenance as text

    result = maintenance.doctor()
    emit("doctor", result, as_json, text.render_doctor)
    if not result.ok:
        raise typer.Exit(1)
