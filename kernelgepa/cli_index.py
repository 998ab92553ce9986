"""``kernelgepa index build | add | query``: the manual-section index reflection retrieves from."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_index_parser(sub) -> None:
    p = sub.add_parser("index", help="build, extend and query the hardware-manual index used by reflection")
    isub = p.add_subparsers(dest="index_cmd", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index-dir", help="index location (default ~/.cache/kernelgepa/docs_index)")
    b = isub.add_parser("build", parents=[common], help="(re)build from the built-in corpus, CUDA headers, "
                                                        "Triton docstrings and added documents")
    b.add_argument("--force", action="store_true", help="rebuild even if no source changed")
    a = isub.add_parser("add", parents=[common], help="add Markdown, HTML, text or PDF documents")
    a.add_argument("paths", nargs="+", metavar="PATH")
    q = isub.add_parser("query", parents=[common], help="print the sections a query retrieves")
    q.add_argument("text")
    q.add_argument("-k", type=int, default=5, help="sections to show (default 5)")
    q.add_argument("--backend", help="only sections for this backend's areas (cpu, cuda, triton, cupy, npu)")
    q.add_argument("--rerank", action="store_true", help="dense re-ranking (extra docs-rerank)")
    q.add_argument("--json", action="store_true", help="print JSON instead of a table")


def cmd_index(args, usage_error) -> int:
    from docs_index import (BACKEND_AREAS, DocsIndex, DocumentError, ManualRetriever, add_user_docs,
                            default_index_dir, document_sections)
    from docs_index.rerank import RerankUnavailable
    from kernelgepa.tables import console, print_hits

    directory = Path(args.index_dir) if args.index_dir else default_index_dir()
    if args.index_cmd == "add":
        paths = [Path(p) for p in args.paths]
        for p in paths:
            if not p.is_file():
                raise usage_error(f"{p}: no such file")
            try:
                n = len(document_sections(p))
            except DocumentError as e:
                raise usage_error(str(e)) from None
            console.print(f"{p}: {n} sections")
        add_user_docs(directory, paths)
    if args.index_cmd == "query" and args.k < 1:
        raise usage_error("-k must be positive")
    if args.index_cmd == "query" and args.backend and args.backend not in BACKEND_AREAS:
        raise usage_error(f"--backend: unknown backend {args.backend!r} ({', '.join(BACKEND_AREAS)})")
    try:
        # a newly added document changes the user source's fingerprint, so open() rebuilds for it
        idx = DocsIndex.open(directory, rebuild=getattr(args, "force", False))
    except OSError as e:
        raise usage_error(f"{directory}: {e.strerror or e}") from None
    if args.index_cmd in ("build", "add"):
        m = idx.manifest
        console.print(f"index at {directory}: {m['sections']} sections (built in {m['build_s']:.2f} s)")
        for note in m["notes"]:
            console.print(f"note: {note}")
        return 0
    reranker = None
    if args.rerank:
        from docs_index.rerank import DenseReranker

        reranker = DenseReranker()
    try:  # the same path reflection takes: the backend's areas, then the optional re-ranking
        hits = ManualRetriever(idx, args.backend, reranker=reranker).query(args.text, args.k)
    except RerankUnavailable as e:
        raise usage_error(str(e)) from None
    if args.json:
        print(json.dumps([h.to_dict() for h in hits], indent=1))
    else:
        print_hits(hits)
    return 0
