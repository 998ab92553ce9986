"""``optimize`` flags that shape each model call (reply limit, temperature, timeout, retries, context
size), for the writer and, where a different value matters, for reflection."""
from __future__ import annotations

import argparse


def add_llm_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model calls")
    g.add_argument("--max-tokens", type=int, default=8192, help="reply limit of a writer call (default 8192)")
    g.add_argument("--reflection-max-tokens", type=int, help="reply limit of a reflection/merge call "
                                                             "(default: --max-tokens)")
    g.add_argument("--temperature", type=float, default=0.7, help="writer sampling temperature (default 0.7)")
    g.add_argument("--reflection-temperature", type=float, help="reflection temperature (default: --temperature)")
    g.add_argument("--llm-timeout", type=float, default=300, help="seconds per model request (default 300)")
    g.add_argument("--llm-retries", type=int, default=5, help="retries of a request on rate limits, timeouts, "
                                                              "connection and server errors (default 5)")
    g.add_argument("--context-tokens", type=int, help="the model's context size in tokens (default: litellm's "
                                                      "model info; needed for local servers)")


def llm_settings(args, role: str) -> dict:
    """``LLMClient`` keyword arguments for ``role`` ("writer" or "reflection"); raises ValueError on bad values."""
    max_tokens = args.max_tokens
    temperature = args.temperature
    if role == "reflection":
        max_tokens = args.reflection_max_tokens or max_tokens
        temperature = args.reflection_temperature if args.reflection_temperature is not None else temperature
    if max_tokens < 1 or args.llm_timeout <= 0 or args.llm_retries < 0 or not 0 <= temperature <= 2:
        raise ValueError("--max-tokens and --llm-timeout must be positive, --llm-retries not negative, "
                         "--temperature within 0..2")
    if args.context_tokens is not None and args.context_tokens <= max_tokens:
        raise ValueError(f"--context-tokens {args.context_tokens} leaves no room for a prompt next to "
                         f"a {max_tokens}-token reply; lower --max-tokens")
    return {"max_tokens": max_tokens, "temperature": temperature, "timeout_s": args.llm_timeout,
            "max_retries": args.llm_retries, "context_tokens": args.context_tokens}
