"""``make bench``: every speed and memory target, baseline and ours measured in one run.

Each benchmark returns a ``Measurement``; the table printed at the end gives the
target, the baseline, ours, their ratio and whether the target is met. Nothing
here runs under pytest: timing targets are never unit tests.
"""

import argparse
import importlib
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_TEMP = Path(tempfile.mkdtemp(prefix="xcert-bench-"))
os.environ.setdefault("XCERT_VAR_DIR", str(_TEMP))
os.environ.setdefault("XCERT_STORAGE_DIR", str(_TEMP / "storage"))


@dataclass(frozen=True)
class Measurement:
    """One benchmark's outcome; ``baseline`` may be None where the target is absolute."""

    target: str
    baseline: float | None
    ours: float
    passed: bool
    unit: str = "s"
    note: str = ""

    @property
    def ratio(self) -> str:
        if not self.baseline:
            return "—"
        return f"{self.ours / self.baseline:.2f}"


@dataclass(frozen=True)
class Benchmark:
    """A named benchmark and the function that measures it."""

    name: str
    run: Callable[[], Measurement]


# Modules under tests/ that define BENCHMARKS: list[Benchmark].
BENCH_MODULES = ["tests.bench_load"]


def _peak_memory_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _import() -> Measurement:
    from tests import bench_candidates

    baseline, ours = bench_candidates.bench_import(10_000)
    peak = _peak_memory_mb()
    return Measurement(
        "10,000 rows: ≤ 0.5 × openpyxl read-only read; peak < 300 MB",
        baseline,
        ours,
        ours <= 0.5 * baseline and peak < 300,
        note=f"peak memory {peak:.0f} MB",
    )


def _photos() -> Measurement:
    from tests import bench_candidates

    baseline, ours = bench_candidates.bench_photos(10_000)
    return Measurement(
        "10,000 photos: ≤ 1.5 × Pillow decoding them",
        baseline,
        ours,
        ours <= 1.5 * baseline,
    )


def _grid() -> Measurement:
    from tests import bench_candidates

    budget, slowest = bench_candidates.bench_grid(200_000)
    return Measurement(
        "200,000 candidates: slowest page/sort/filter < 100 ms",
        None,
        slowest,
        slowest < budget,
    )


_schedule_100k: list[float] = []


def _schedule(registrations: int) -> Callable[[], Measurement]:
    def run() -> Measurement:
        from tests import bench_scheduling

        baseline, ours = bench_scheduling.bench_schedule(registrations, 500)
        if registrations == 100_000:
            _schedule_100k.append(ours)
            return Measurement(
                "100,000 over 500 rooms < 2 s (baseline: I/O only)",
                baseline,
                ours,
                ours < 2.0,
            )
        limit = 2.2 * _schedule_100k[-1] if _schedule_100k else 4.4
        return Measurement(
            f"200,000 ≤ 2.2 × the 100,000 run ({limit:.2f} s)",
            baseline,
            ours,
            ours <= limit,
        )

    return run


def _tickets() -> Measurement:
    from tests import bench_scheduling

    baseline, ours = bench_scheduling.bench_tickets(5_000)
    sizes = bench_scheduling.last_ticket_sizes
    size_ratio = sizes["ours"] / sizes["baseline"]
    return Measurement(
        "5,000 tickets: ≤ 1.5 × fpdf2 one line + photo; file ≤ 1.2 ×",
        baseline,
        ours,
        ours <= 1.5 * baseline and size_ratio <= 1.2,
        note=f"file size ratio {size_ratio:.2f}",
    )


BUILT_IN = [
    Benchmark("candidate import", _import),
    Benchmark("photo archive", _photos),
    Benchmark("candidate grid", _grid),
    Benchmark("scheduling 100k", _schedule(100_000)),
    Benchmark("scheduling 200k", _schedule(200_000)),
    Benchmark("admission tickets", _tickets),
]


def timed(function: Callable, *args, **kwargs) -> tuple[float, object]:
    """Run ``function`` once and return (seconds, result)."""
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def collect(selected: list[str]) -> list[Benchmark]:
    benchmarks = list(BUILT_IN)
    for name in BENCH_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue
        benchmarks.extend(getattr(module, "BENCHMARKS", []))
    if selected:
        benchmarks = [
            bench
            for bench in benchmarks
            if any(word in bench.name for word in selected)
        ]
    return benchmarks


def _format(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    return f"{value:.1f} {unit}"


def print_table(rows: list[tuple[str, Measurement]]) -> None:
    headers = ("benchmark", "target", "baseline", "ours", "ratio", "result")
    lines = [
        (
            name,
            result.target,
            _format(result.baseline, result.unit),
            _format(result.ours, result.unit),
            result.ratio,
            ("pass" if result.passed else "FAIL")
            + (f" ({result.note})" if result.note else ""),
        )
        for name, result in rows
    ]
    widths = [
        max(len(str(cell)) for cell in column)
        for column in zip(headers, *lines, strict=False)
    ]
    print(
        "| "
        + " | ".join(
            header.ljust(width) for header, width in zip(headers, widths, strict=True)
        )
        + " |"
    )
    print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    for line in lines:
        print(
            "| "
            + " | ".join(
                str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)
            )
            + " |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Run xcert's speed and memory benchmarks"
    )
    parser.add_argument(
        "names",
        nargs="*",
        help="run only benchmarks whose name contains one of these words",
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"
    )
    rows = []
    for bench in collect(args.names):
        print(f"running {bench.name} ...", flush=True)
        rows.append((bench.name, bench.run()))
    print()
    print_table(rows)
    return 0 if all(result.passed for _name, result in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
