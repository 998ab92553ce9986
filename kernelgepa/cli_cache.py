"""``kernelgepa cache info|clear|set-max`` and ``--cache-max``: the bounded build/baseline cache."""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path


def add_cache_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cache-max", metavar="SIZE", help="cap on the cache's size, least recently used entries "
                                                      "evicted first (default $KERNELGEPA_CACHE_MAX, else the "
                                                      "cache's cache.json, else 5GB)")


def apply_cache_max(args, usage_error) -> None:
    """--cache-max for this process and the sandboxes and workers it starts (they read the variable)."""
    from harness.cache import parse_bytes

    if getattr(args, "cache_max", None):
        try:
            parse_bytes(args.cache_max)
        except ValueError as e:
            raise usage_error(f"--cache-max: {e}") from None
        os.environ["KERNELGEPA_CACHE_MAX"] = args.cache_max


def add_cache_parser(sub) -> None:
    p = sub.add_parser("cache", help="where the build and baseline cache is, its size and cap; clear it")
    p.add_argument("--cache-dir", help="the cache (default $KERNELGEPA_CACHE or ~/.cache/kernelgepa)")
    csub = p.add_subparsers(dest="cache_cmd", required=True)
    csub.add_parser("info", help="location, size per section, cap")
    csub.add_parser("clear", help="remove every cached build and baseline")
    m = csub.add_parser("set-max", help="store a cap in the cache's cache.json (the variable and flag win)")
    m.add_argument("size", help="e.g. 5GB, 500MB")


def cmd_cache(args, usage_error) -> int:
    from harness.build import default_cache_root
    from harness.cache import BoundedCache, human_bytes, parse_bytes
    from kernelgepa.tables import console

    root = Path(args.cache_dir) if args.cache_dir else default_cache_root()
    if args.cache_cmd == "set-max":
        try:
            parse_bytes(args.size)
        except ValueError as e:
            raise usage_error(str(e)) from None
        try:
            root.mkdir(parents=True, exist_ok=True)
            (root / "cache.json").write_text(json.dumps({"max": args.size}))
        except OSError as e:
            raise usage_error(f"cannot write {root / 'cache.json'}: {e.strerror}") from None
    store = BoundedCache(root)
    if args.cache_cmd == "clear":
        console.print(f"cleared {human_bytes(store.clear())} from {root}", highlight=False)
        return 0
    entries = store.entries()
    by_section: dict[str, list[int]] = {}
    for e in entries:
        by_section.setdefault(e.path.parent.name, []).append(e.bytes)
    console.print(f"cache: {root}", highlight=False)
    for name, sizes in sorted(by_section.items()):
        console.print(f"  {name}: {len(sizes)} entries, {human_bytes(sum(sizes))}", highlight=False)
    total = sum(e.bytes for e in entries)
    console.print(f"total {human_bytes(total)} of a {human_bytes(store.max_bytes)} cap "
                  f"(least recently used entries are evicted first; `kernelgepa cache clear` empties it)",
                  highlight=False)
    return 0
