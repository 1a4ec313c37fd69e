#!/usr/bin/env python3
"""check-snippets.py MARKDOWN...: every fenced code block that follows a line
`<!-- from PATH -->` must be taken from PATH (relative to the repository root):
its lines, stripped of surrounding spaces, appear in PATH's lines in the same
order; a line `...` stands for any number of skipped lines. So README examples
stay the code that CI compiles or runs. Prints "snippet-test: N passed, N failed".
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"<!-- from (\S+) -->\s*\n```[^\n]*\n(.*?)\n```", re.S)


def taken_from(snippet: str, source: list[str]) -> bool:
    """The runs of lines between `...` lines appear in `source` in order, each
    run as consecutive lines (the earliest fit of each run is the best one)."""
    runs, run = [], []
    for line in (s.strip() for s in snippet.splitlines()):
        if line == "...":
            runs, run = runs + [run], []
        else:
            run.append(line)
    pos = 0
    for run in runs + [run]:
        starts = (i for i in range(pos, len(source) - len(run) + 1) if source[i : i + len(run)] == run)
        start = next(starts, None)
        if start is None:
            return False
        pos = start + len(run)
    return True


def main(paths: list[str]) -> int:
    passed = failed = 0
    for md in paths:
        for m in BLOCK.finditer(Path(md).read_text()):
            src = ROOT / m.group(1)
            lines = [s.strip() for s in src.read_text().splitlines()] if src.exists() else []
            if taken_from(m.group(2), lines):
                passed += 1
            else:
                failed += 1
                line_no = m.string.count("\n", 0, m.start()) + 1
                print(f"{md}:{line_no}: snippet not found in {m.group(1)}", file=sys.stderr)
    print(f"snippet-test: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
