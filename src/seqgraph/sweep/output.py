"""A sweep's output folder: summary.csv and curves.csv appended row by row, config.toml, and
what ``--resume`` / ``--overwrite`` find there.

Rows carry the run id and every setting. A folder of an older seqgraph resumes: settings added
since (:attr:`~seqgraph.sweep.spec.RunSpec.in_id_unless_default`) read as their default, result
columns added or renamed since (:attr:`~seqgraph.sweep.jobs.Experiment.added_results`,
:attr:`~seqgraph.sweep.jobs.Experiment.renamed_results`) as what those runs had.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqgraph.config import read_toml, write_toml
from seqgraph.errors import ConfigError
from seqgraph.io import append_rows, drop_torn_row, make_folder, read_csv, whole_rows, write_csv
from seqgraph.sweep.grid import RunOptions, Sweep, axis_name, parse_axis
from seqgraph.sweep.jobs import Experiment, RunResult
from seqgraph.sweep.spec import spec_fields

FINISHED = ("ok", "pruned")  # statuses of runs that are done: trained to their end, or ended by a search's pruner


@dataclass
class Output:
    folder: Path
    summary_columns: list[str]
    curve_columns: list[str]
    replacing: set[str] = dataclasses.field(default_factory=set)  # runs trained again whose old rows are here

    @property
    def summary(self) -> Path:
        return self.folder / "summary.csv"

    @property
    def curves(self) -> Path:
        return self.folder / "curves.csv"

    @property
    def config(self) -> Path:
        """The resolved configuration: every axis value swept in this folder, the last options."""
        return self.folder / "config.toml"

    def record(self, result: RunResult) -> None:
        """Append a run's curve rows, then its summary row (a run is done once it is in the
        summary; curve rows of a run that never got there are dropped on resume). A run trained
        again (:attr:`replacing`) first has its old rows taken out, each file rewritten
        atomically: until then they stay, so an interrupted resume loses none."""
        if result.run_id in self.replacing:
            for path, columns in ((self.curves, self.curve_columns), (self.summary, self.summary_columns)):
                if columns and path.exists():
                    rows = [r for r in whole_rows(path) if r.get("run_id") != result.run_id]
                    write_csv(path, columns, rows)
            self.replacing.discard(result.run_id)
        settings = {"run_id": result.run_id, **dataclasses.asdict(result.spec)}
        if self.curve_columns and result.curves:
            append_rows(self.curves, self.curve_columns, [settings | c for c in result.curves])
        append_rows(self.summary, self.summary_columns, [settings | result.summary])


def read_output(exp: Experiment[Any], sweep: Sweep[Any]) -> tuple[Output, dict[str, dict[str, Any]]]:
    """Check the output folder against --resume / --overwrite (writing nothing yet); return it
    and the summary rows of the runs already done there, by run id (in this version's columns)."""
    opts = sweep.options
    settings = ["run_id", *spec_fields(exp.spec)]
    out = Output(Path(opts.out), [*settings, *exp.result_columns],
                 [*settings, *exp.curve_columns] if exp.curve_columns else [])
    if out.folder.exists() and not out.folder.is_dir():
        raise ConfigError(f"--out {out.folder} is a file, not a folder")
    for path in (out.summary, out.curves):
        if path.exists() and path.stat().st_size == 0:  # killed before its first row: nothing in it
            path.unlink()
    if out.config.exists():
        known = set(sweep.to_dict()) | set(spec_fields(exp.spec)) | set(RunOptions.not_in_toml) | {"preset"}
        foreign = sorted(set(read_toml(out.config)) - known)
        if foreign:
            raise ConfigError(f"{out.folder} holds the output of another command (its config.toml has "
                              f"{foreign[0]!r}); choose another --out")
    exists = out.summary.exists() or out.curves.exists() or out.config.exists()
    done: dict[str, dict[str, Any]] = {}
    if exists and not opts.resume and not opts.overwrite:
        raise ConfigError(f"{out.folder} already holds results: add --resume to continue that sweep (or extend "
                          "it with new values), --overwrite to replace it, or choose another --out")
    if exists and opts.resume:
        for path in (out.summary, out.curves):  # a row torn by a full disk or a kill: its run trains again
            drop_torn_row(path)
            if path.exists() and path.stat().st_size == 0:
                path.unlink()
        if out.summary.exists():
            df = read_csv(out.summary)
            if not columns_fit(list(df.columns), out.summary_columns, exp):
                raise ConfigError(f"--resume: {out.summary} has other columns than this seqgraph writes "
                                  "(another experiment or an older version); use another --out")
            df = upgrade(df, out.summary_columns, exp)
            ok = df[df["status"].isin(FINISHED)].drop_duplicates("run_id", keep="last")
            done = {str(r["run_id"]): r for r in ok.to_dict("records")}
        if out.curves.exists() and out.curve_columns and not columns_fit(list(read_csv(out.curves).columns),
                                                                         out.curve_columns, exp):
            raise ConfigError(f"--resume: {out.curves} has other columns than this seqgraph writes; "
                              "use another --out")
        if out.config.exists():
            read_toml(out.config)  # a corrupt config beside the results is worth an error, not a crash later
    return out, done


def _renamed(found: list[str], wanted: list[str], exp: Experiment[Any]) -> list[str]:
    """``found`` with result columns renamed since a release under their new names (only in a
    file that has this version's ``wanted`` new name missing: the old name may since mean a
    setting)."""
    renames = {old: new for old, new in exp.renamed_results.items() if new in wanted and new not in found}
    return [renames.get(c, c) for c in found]


def columns_fit(found: list[str], wanted: list[str], exp: Experiment[Any]) -> bool:
    """``found`` (after renames) holds ``wanted``'s columns, in any order, less only settings
    and result columns added later: this version's folder, or an older version's whose runs
    kept their ids."""
    later = {*exp.spec.in_id_unless_default, *exp.added_results}
    found = _renamed(found, wanted, exp)
    return len(set(found)) == len(found) and set(found) <= set(wanted) and set(wanted) - set(found) <= later


def upgrade(df: Any, columns: list[str], exp: Experiment[Any]) -> Any:
    """Rows of an older version in this version's ``columns``: renamed result columns under
    their new names; settings added since at their default, result columns added since at the
    value those runs had (``added_results``)."""
    df = df.rename(columns=dict(zip(df.columns, _renamed(list(df.columns), columns, exp), strict=True)))
    known = {f.name: f.default for f in dataclasses.fields(exp.spec)} | dict(exp.added_results)
    for c in columns:
        if c not in df.columns:
            df[c] = known[c]
    return df[columns]


def prepare_output(exp: Experiment[Any], out: Output, sweep: Sweep[Any], keep: set[str]) -> None:
    """Make the output folder ready: with --overwrite start empty; else keep only the rows of
    runs ``keep`` (runs that failed, never reached the summary, or will be continued are
    trained again without duplicating rows); write the resolved config."""
    if sweep.options.overwrite:
        out.summary.unlink(missing_ok=True)
        out.curves.unlink(missing_ok=True)
    for path, columns in ((out.summary, out.summary_columns), (out.curves, out.curve_columns)):
        if columns and path.exists():
            df = read_csv(path)
            old_version = list(df.columns) != columns
            if old_version:
                df = upgrade(df, columns, exp)
            kept = df[df["run_id"].astype(str).isin(keep)]
            if path == out.summary:
                kept = kept[kept["status"].isin(FINISHED)].drop_duplicates("run_id", keep="last")
            if len(kept) != len(df) or old_version:
                write_csv(path, columns, kept.to_dict("records"))
    make_folder(out.folder)
    if sweep.owns_config and not (sweep.options.resume and out.config.exists()):  # a new folder: this sweep
        write_toml(out.config, sweep.to_dict())
    # else the config.toml there stays as it is until the runs that make a new one true have finished
    # (describe_folder): an interrupted resume leaves it describing the runs that are in the folder


def describe_folder(out: Output, sweep: Sweep[Any]) -> None:
    """After a resumed sweep has trained all its runs, rewrite ``config.toml`` so that, fed back
    (``--config <out>/config.toml --resume``), it plans exactly the runs in the folder: the axes
    of the saved config merged with this sweep's when their grid is those runs; else (the two
    sweeps' grids do not make one grid) this sweep's own, with a comment saying the folder holds
    more."""
    if not (sweep.owns_config and sweep.options.resume and out.config.exists()):
        return  # written by prepare_output before the runs (or by the search that owns it)
    from seqgraph.sweep.spec import run_id

    saved = read_toml(out.config)
    axes: dict[str, list[Any]] = {}
    try:
        for f in spec_fields(sweep.spec):
            name = axis_name(sweep.spec, f)
            old = parse_axis(sweep.spec, f, saved[name]) if name in saved else []
            axes[f] = list(dict.fromkeys([*old, *sweep.axes[f]]))
        merged = dataclasses.replace(sweep, axes=axes)
        planned: set[str] | None = {run_id(r) for r in merged.runs()}
    except ConfigError:  # a hand-edited config, or a merged grid too large to be one sweep
        planned = None
    held = {str(r["run_id"]) for r in whole_rows(out.summary)}
    if planned == held:
        write_toml(out.config, merged.to_dict())
    else:
        write_toml(out.config, sweep.to_dict(), comment="the last sweep written into this folder; its summary.csv "
                   "also holds runs of earlier sweeps")
