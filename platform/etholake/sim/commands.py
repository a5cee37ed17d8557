"""CLI commands ``etholake simulate`` and ``etholake simulate-figure``."""

from __future__ import annotations

from pathlib import Path

import typer


def simulate_command(
    out_dir: Path = typer.Argument(..., help="Output folder: one folder per lab plus ground_truth/."),
    labs: int = typer.Option(3, "--labs", min=1, help="Number of labs (three cover every file format)."),
    sessions: int = typer.Option(4, "--sessions-per-lab", min=1, help="Sessions per lab."),
    minutes: float = typer.Option(1.0, "--minutes", min=0.05, help="Length of each session in minutes."),
    seed: int = typer.Option(0, "--seed", help="Seed; the same seed gives the same data."),
    video: bool = typer.Option(True, "--video/--no-video", help="Render an .mp4 per session."),
    neural: bool = typer.Option(True, "--neural/--no-neural", help="Write NWB units, sync pulses and frame times."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address (default: local cluster)."),
    progress: bool = typer.Option(True, "--progress/--quiet", help="Print progress."),
) -> None:
    """Simulate a multi-lab resident-intruder experiment in the real tools' file formats."""
    from etholake.compute import client
    from etholake.sim.generate import simulate

    with client(scheduler) as dask_client:
        result = simulate(
            out_dir,
            n_labs=labs,
            sessions_per_lab=sessions,
            minutes=minutes,
            seed=seed,
            video=video,
            neural=neural,
            client=dask_client,
            progress=progress,
        )
    for lab, manifest in result.manifests.items():
        typer.echo(f"{lab}: {manifest}")
    typer.echo(f"ground truth: {result.ground_truth}")


def simulate_figure_command(
    out_dir: Path = typer.Argument(..., help="Output folder of `etholake simulate`."),
    session: str = typer.Argument(..., help="Session name, e.g. ashby-s0001."),
    output: Path | None = typer.Option(None, "--output", "-o", help="PNG to write (default: <session>.png)."),
) -> None:
    """Draw a simulated session's trajectories, postures and ethogram to a PNG."""
    from etholake.sim.figure import find_session, plot_session

    typer.echo(str(plot_session(find_session(out_dir, session), output or Path(f"{session}.png"))))


def register(app: typer.Typer) -> None:
    """Add ``simulate`` and ``simulate-figure`` to the etholake CLI."""
    app.command("simulate")(simulate_command)
    app.command("simulate-figure")(simulate_figure_command)
