"""What the benchmark measures: calls, subjects (functions and baselines), cold-start cases and samples."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

# compiled / fresh: how the code directories are prepared (bytecode written, or read-only as built); restore:
# the compiled copies, started as after a SnapStart restore (bench/coldstart_worker.py).
Mode = Literal["compiled", "fresh", "restore"]
# bcrypt costs timed beside the chosen one, to show what one step up or down costs, and samples of each.
BCRYPT_COSTS = (10, 11, 12, 13)
BCRYPT_SAMPLES = 3


@dataclass(frozen=True)
class Call:
    """One route as the benchmark calls it: the event, the expected answer, how many warm invocations."""

    name: str
    event: dict[str, Any]
    status: int
    invocations: int
    list_length: int | None = None

    def spec(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "event": self.event,
            "status": self.status,
            "list_length": self.list_length,
        }


@dataclass(frozen=True)
class Subject:
    """A function of the project or a baseline; its first call is the cold-start request."""

    key: str
    label: str
    code_dir: Path
    calls: tuple[Call, ...]
    baseline: bool = False


@dataclass(frozen=True)
class ColdCase:
    """A subject started in one mode from one set of directories (function, layer, runtime)."""

    subject: Subject
    mode: Mode
    label: str
    code_dir: Path
    layer: Path
    runtime: Path
    settings: tuple[tuple[str, str], ...] = ()  # set over the subject's environment


@dataclass
class WarmSamples:
    """One route's warm invocations: per-invocation figures (ms), and each step's median total."""

    total: list[float] = field(default_factory=list)
    database: list[float] = field(default_factory=list)
    round_trips: list[float] = field(default_factory=list)
    step_medians: dict[int, float] = field(default_factory=dict)

    @property
    def not_database(self) -> list[float]:
        return [total - waited for total, waited in zip(self.total, self.database, strict=True)]
