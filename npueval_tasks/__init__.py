"""NPUEval tasks and the AIE backend (not built yet: see the README)."""
