"""Print the path of the newest CPython (3.12 or later) on this machine, or nothing.

Looks on PATH (python3.12 ... python3.19) and in pyenv's installed versions; never
downloads one (CI reaches only the package registries)."""

import os
import re
import shutil
import subprocess
from pathlib import Path


def candidates() -> list[str]:
    found = [shutil.which(f"python3.{minor}") for minor in range(12, 20)]
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if root.is_dir():
        found += [str(path) for path in root.glob("3.*/bin/python3")]
    return [path for path in found if path]


def version(path: str) -> tuple[int, ...]:
    try:
        text = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    match = re.fullmatch(r"Python (\d+)\.(\d+)\.(\d+)\s*", text)
    return tuple(int(part) for part in match.groups()) if match else ()


def main() -> None:
    ranked = sorted(((version(path), path) for path in candidates()), reverse=True)
    ranked = [(v, path) for v, path in ranked if v >= (3, 12)]
    if ranked:
        print(ranked[0][1])


if __name__ == "__main__":
    main()
