"""``python -m rsclip_utils.catalog {list,check,download,instructions}``: see the package
docstring."""

from __future__ import annotations

import argparse
import json
import sys

from .check import SAMPLE, check_all, format_statuses
from .download import DownloadError, fetch_dataset
from .registry import load_registry


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status (check: 1 when a listed dataset is not
    complete; download: 1 on a manual dataset or a failed download)."""
    parser = argparse.ArgumentParser(prog="python -m rsclip_utils.catalog")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="every registered dataset: kind, size, how it is fetched")
    p = sub.add_parser("check", help="which datasets are present and complete under DIR")
    p.add_argument("data_root")
    p.add_argument("--only", help="comma-separated keys")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--all-files", action="store_true",
                   help="open every file (default: up to 5 per folder); slow on a full dataset")
    p = sub.add_parser("download", help="fetch datasets (or print the manual steps)")
    p.add_argument("keys", nargs="+")
    p.add_argument("--to", required=True, dest="data_root")
    p = sub.add_parser("instructions", help="source, licence, layout and steps of a dataset")
    p.add_argument("key")
    args = parser.parse_args(argv)
    registry = load_registry()

    if args.command == "list":
        for e in registry.values():
            print(f"{e.key:<14} {e.kind:<5} {e.mode:<7} {e.size}")
        return 0
    if args.command == "check":
        only = [k.strip() for k in args.only.split(",")] if args.only else None
        try:
            sample = None if args.all_files else SAMPLE
            statuses = check_all(registry, args.data_root, only, sample)
        except KeyError as e:
            print(e.args[0], file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps([s.to_dict() for s in statuses], indent=1))
        else:
            print(format_statuses(statuses, registry, sample))
        return 0 if all(s.state == "complete" for s in statuses) else 1
    if args.command == "instructions":
        e = registry.get(args.key)
        if e is None:
            print(f"not in the registry: {args.key}; known: {', '.join(registry)}",
                  file=sys.stderr)
            return 2
        print(f"{e.name} ({e.kind}): {e.size}\n  source:   {e.homepage}\n  cite:     "
              f"{e.citation}\n  licence:  {e.licence}\n  fetched:  {e.mode}\n  {e.instructions}")
        print(f"  layout under DATA_ROOT/{e.reads or e.key}/:")
        for item in e.layout:
            print(f"    {item['path']} ({item['type']}) {item.get('what', '')}")
        return 0
    status = 0
    for key in args.keys:
        if key not in registry:
            print(f"not in the registry: {key}", file=sys.stderr)
            return 2
        try:
            print(f"{key}: {fetch_dataset(registry[key], args.data_root)}")
        except DownloadError as e:
            print(f"{key}: {e}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
