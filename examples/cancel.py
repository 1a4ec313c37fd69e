#!/usr/bin/env python3
"""Cancels one algo order through the Python binding and prints what happened.

    cancel.py [ALGO_ID]        (default 14511)

Environment: BINANCE_API_KEY, BINANCE_SECRET_KEY (required) and
BINANCE_BASE_URL (default https://api.binance.com), as examples/cancel.c.
Exit status 0 only when the order was cancelled, 1 when not, 2 on bad usage.
Run from a checkout it finds bindings/python itself; installed, set PYTHONPATH.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bindings" / "python"))

import binance_algo  # noqa: E402


def main() -> int:
    try:
        algo_id = int(sys.argv[1]) if len(sys.argv) > 1 else 14511
    except ValueError:
        print(f"usage: {sys.argv[0]} [ALGO_ID]", file=sys.stderr)
        return 2
    try:
        client = binance_algo.Client(
            os.environ.get("BINANCE_API_KEY", ""),
            os.environ.get("BINANCE_SECRET_KEY", ""),
            base_url=os.environ.get("BINANCE_BASE_URL"),
        )
    except binance_algo.InvalidArgument:
        print("set BINANCE_API_KEY, BINANCE_SECRET_KEY and a valid BINANCE_BASE_URL", file=sys.stderr)
        return 2

    with client:
        try:
            r = client.cancel(algo_id)
        except binance_algo.BinanceError as e:
            r = e.result  # the same detail as on success; see e.g. Rejected, UnknownOutcome
    print(f"cancel algoId={algo_id}: {r.status.name}")
    print(f"  http {r.http_status}, exchange code {r.code}, used weight {r.weight_ip_1m}/min")
    print(f"  {r.message}")
    print(f"  body: {r.body or '(none)'}")
    return 0 if r.ok else 1


if __name__ == "__main__":
    sys.exit(main())
