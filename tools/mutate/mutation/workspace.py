"""The mutation workspace: a private copy of the source tree and its own build directory.

Mutants are written into the copy, never into the developer's checkout, so a run can go on for an
hour while the checkout is edited, and an interrupted run leaves nothing mutated behind. The copy
is refreshed from the checkout (tracked and untracked, not ignored files) at the start of a run;
files whose content did not change keep their mtime, so the build stays incremental.

The build is a plain Debug build (no sanitizers, -O0, no debug info, gold linker when present,
warnings not errors, the library shared so that test programs are not relinked per mutant):
a mutant costs one object, one archive and the links of the tests that run it, so compile and
link speed matter more here than anything the sanitizer build adds. The sanitizer build remains
what `.ci/run` uses.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


class Workspace:
    def __init__(self, repo: Path, root: Path):
        self.repo = repo
        self.root = root
        self.tree = root / "tree"
        self.build = root / "build"

    def lock(self) -> None:
        """One run per workspace: a second one would write its mutants into the first's copy.
        Held until the process exits."""
        import fcntl

        self.root.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(self.root / "lock", "w")  # noqa: SIM115 (kept open on purpose)
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(f"mutate: {self.root} is in use by another run "
                             "(wait for it, or pass another --workspace)")

    def sync(self) -> int:
        """Copies changed files from the checkout; returns how many were copied."""
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=self.repo,
            check=True,
            capture_output=True,
        ).stdout.split(b"\0")
        copied = 0
        for raw in listed:
            if not raw:
                continue
            rel = raw.decode()
            source = self.repo / rel
            if not source.is_file():
                continue  # deleted in the checkout but still in the index
            target = self.tree / rel
            data = source.read_bytes()
            if target.is_file() and target.read_bytes() == data:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            shutil.copymode(source, target)
            copied += 1
        # The test servers (DynamoDB Local, s3rver) are npm packages installed in the checkout.
        modules = self.tree / "node_modules"
        if (self.repo / "node_modules").is_dir() and not modules.exists():
            modules.symlink_to(self.repo / "node_modules")
        # Test data shared between projects sits beside the checkout (../shared), so beside the copy.
        shared = self.root / "shared"
        if (self.repo.parent / "shared").is_dir() and not shared.exists():
            shared.symlink_to(self.repo.parent / "shared")
        return copied

    def configure(self) -> None:
        """Configures the build (again: cheap when nothing changed, and settings stay current)."""
        args = [
            "cmake", "-S", str(self.tree), "-B", str(self.build),
            "-DCMAKE_BUILD_TYPE=Debug",
            # libstdc++'s own checks (a string_view cut past its end, back() of an empty vector)
            # make undefined behaviour that a mutant causes fail at once, as ASan would in CI.
            "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g0 -D_GLIBCXX_ASSERTIONS",
            "-DCACHEDATA_BUILD_BENCH=OFF",
            # A mutant that leaves a variable unused still changes behaviour: it must build.
            "-DCACHEDATA_WERROR=OFF",
            # The library as a shared object that the test programs do not relink against: a
            # mutant costs one object and one link, whatever the number of test programs.
            "-DBUILD_SHARED_LIBS=ON",
            "-DCMAKE_LINK_DEPENDS_NO_SHARED=ON",
        ]
        if shutil.which("ninja") and not (self.build / "CMakeCache.txt").is_file():
            args += ["-G", "Ninja"]
        if shutil.which("ld.gold"):
            args += ["-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=gold"]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)

    def build_targets(self, targets: list[str], timeout: float) -> tuple[bool, str]:
        """Builds the targets; (ok, the tail of the build output)."""
        jobs = str(os.cpu_count() or 2)
        try:
            done = subprocess.run(
                ["cmake", "--build", str(self.build), "--parallel", jobs, "--target", *targets],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return False, "build timed out"
        return done.returncode == 0, (done.stdout + done.stderr)[-3000:]

    def source(self, rel: str) -> Path:
        return self.tree / rel

    def test_binary(self, name: str) -> Path:
        return self.build / "tests" / name
