"""Sandboxed, cheat-resistant compile / check / time of candidate kernels against a PyTorch reference."""
from harness.config import EvalConfig, TimingConfig
from harness.result import EvalResult, Mismatch, Status, Timing

__all__ = ["EvalConfig", "TimingConfig", "EvalResult", "Mismatch", "Status", "Timing"]
