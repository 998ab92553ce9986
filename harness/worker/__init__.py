"""Code that runs inside the sandbox child: reference runs, capture of build requests, candidate runs.

It shares the child with untrusted candidate code, so nothing it reports is taken on trust by the
parent: outputs are re-compared outside, timings are cross-checked against the parent's clock,
and the static checks that keep candidates from patching this code run in the parent.
"""
