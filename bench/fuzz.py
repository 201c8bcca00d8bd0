"""The fuzz tests at a larger scale (default 10x: about 100,000 cases).

    python bench/fuzz.py [--scale 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from common import ROOT


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=10)
    args = ap.parse_args()
    env = {**os.environ, "QA_FUZZ_SCALE": str(args.scale)}
    sys.exit(subprocess.call([sys.executable, "-m", "pytest", "-q", "-s", "tests/qa/test_fuzz.py"], cwd=ROOT, env=env))


if __name__ == "__main__":
    main()
