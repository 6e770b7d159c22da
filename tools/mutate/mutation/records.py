"""What persists between runs: the equivalent mutants written down in the repository, and the
outcomes of the last run in the workspace (for --only-missed).

tools/mutate/equivalent.txt, one mutant a line:
    <source path> <key> <what the mutant does> -- <why no test can tell it apart>
The key (printed by every report) is derived from the mutated line's text and the change, so the
record still applies after lines above it move. A record without a reason is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Equivalent:
    path: str
    key: str
    text: str
    reason: str


def read_equivalents(path: Path) -> dict[tuple[str, str], Equivalent]:
    found: dict[tuple[str, str], Equivalent] = {}
    if not path.is_file():
        return found
    for number, line in enumerate(path.read_text().splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts = stripped.split(None, 2)
        if len(parts) < 3 or " -- " not in parts[2]:
            raise ValueError(f"{path}:{number}: expected '<path> <key> <change> -- <reason>'")
        text, _, reason = parts[2].partition(" -- ")
        if not reason.strip():
            raise ValueError(f"{path}:{number}: an equivalent mutant needs its reason")
        found[(parts[0], parts[1])] = Equivalent(parts[0], parts[1], text.strip(), reason.strip())
    return found


def results_path(workspace: Path, rel: str) -> Path:
    """Outcomes live beside the workspaces (build/mutate-results/), one file per source file, so
    that runs in several workspaces (one per file, in parallel) report together."""
    return workspace.parent / "mutate-results" / (rel.replace("/", "__") + ".json")


def load_results(workspace: Path, rel: str) -> dict[str, dict]:
    path = results_path(workspace, rel)
    if not path.is_file():
        return {}
    return json.loads(path.read_text())


def save_results(workspace: Path, rel: str, results: dict[str, dict]) -> None:
    path = results_path(workspace, rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=1, sort_keys=True))
    tmp.replace(path)
