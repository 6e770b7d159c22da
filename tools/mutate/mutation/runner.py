"""Runs one mutant: write it into the workspace copy, build the test programs one at a time and
run each (fastest first, stopping at the first failure), then put the original back.

Outcomes:
  caught         a test program failed (or crashed) with the mutant
  timeout        a test program ran past its limit: counted as caught (the mutant hangs)
  missed         every selected test program passed
  not-compiling  the build failed (not part of the score)
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .operators import Mutant
from .workspace import Workspace


@dataclass
class TestProgram:
    name: str
    baseline_seconds: float = 0.0

    def limit(self, factor: float, floor: float) -> float:
        return max(floor, self.baseline_seconds * factor)


class Runner:
    def __init__(self, ws: Workspace, rel: str, tests: list[str], env: dict[str, str],
                 timeout_factor: float, timeout_floor: float, build_timeout: float):
        self.ws = ws
        self.rel = rel
        self.tests = [TestProgram(t) for t in tests]
        self.env = env
        self.timeout_factor = timeout_factor
        self.timeout_floor = timeout_floor
        self.build_timeout = build_timeout
        self.original = ws.source(rel).read_text()

    def _run_test(self, test: TestProgram, limit: float | None) -> tuple[str, float, str]:
        """('pass' | 'fail' | 'timeout', seconds, output tail)."""
        binary = self.ws.test_binary(test.name)
        args = [str(binary), "--gtest_brief=1", "--gtest_fail_fast"]
        start = time.monotonic()
        try:
            done = subprocess.run(
                args, cwd=binary.parent, env=self.env, capture_output=True, text=True,
                timeout=limit, start_new_session=True,
            )
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"")
            text = out.decode(errors="replace") if isinstance(out, bytes) else out
            return "timeout", time.monotonic() - start, text[-2000:]
        elapsed = time.monotonic() - start
        verdict = "pass" if done.returncode == 0 else "fail"
        return verdict, elapsed, (done.stdout + done.stderr)[-2000:]

    def baseline(self) -> list[str]:
        """Builds and runs the unmutated tests; returns the names of programs that fail."""
        self.ws.source(self.rel).write_text(self.original)
        ok, log = self.ws.build_targets([t.name for t in self.tests], self.build_timeout * 10)
        if not ok:
            raise RuntimeError("the unmutated tree does not build:\n" + log)
        failing = []
        for test in self.tests:
            verdict, seconds, out = self._run_test(test, None)
            test.baseline_seconds = seconds
            if verdict != "pass":
                failing.append(f"{test.name}:\n{out}")
        # Fastest first: most mutants are caught by the first program that notices them.
        self.tests.sort(key=lambda t: t.baseline_seconds)
        return failing

    def run(self, mutant: Mutant) -> tuple[str, str]:
        """(outcome, detail): detail names the test program that caught it, or the build error."""
        path = self.ws.source(self.rel)
        path.write_text(mutant.apply(self.original))
        try:
            for test in self.tests:
                ok, log = self.ws.build_targets([test.name], self.build_timeout)
                if not ok:
                    return "not-compiling", _first_error(log)
                limit = test.limit(self.timeout_factor, self.timeout_floor)
                verdict, _, _ = self._run_test(test, limit)
                if verdict == "fail":
                    return "caught", test.name
                if verdict == "timeout":
                    return "timeout", test.name
            return "missed", ""
        finally:
            path.write_text(self.original)

    def restore(self) -> None:
        self.ws.source(self.rel).write_text(self.original)


def _first_error(log: str) -> str:
    for line in log.splitlines():
        if "error:" in line:
            return line.strip()[:200]
    return log.strip().splitlines()[-1][:200] if log.strip() else "build failed"


def test_environment(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    env.setdefault("no_proxy", "127.0.0.1,localhost")
    env.setdefault("NO_PROXY", env["no_proxy"])
    return env


class TestServers:
    """DynamoDB Local and s3rver for the tests that need them, in the workspace's own state
    directory (never the suite's or a developer's servers)."""

    def __init__(self, repo: Path, state: Path):
        self.script = repo / "scripts" / "test-servers.sh"
        self.env = dict(os.environ, CACHEDATA_TEST_SERVERS_DIR=str(state))
        self.started = False

    def start(self) -> dict[str, str]:
        subprocess.run([str(self.script), "start"], env=self.env, check=True,
                       stdout=subprocess.DEVNULL)
        self.started = True
        exports = subprocess.run([str(self.script), "env"], env=self.env, check=True,
                                 capture_output=True, text=True).stdout
        found = {}
        for line in exports.splitlines():
            name, _, value = line.partition("=")
            if name.endswith("_ENDPOINT"):
                found[name] = value
        return found

    def stop(self) -> None:
        if self.started:
            subprocess.run([str(self.script), "stop"], env=self.env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            self.started = False
