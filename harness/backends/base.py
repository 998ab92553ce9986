"""The backend interface: what a kernel route needs from the harness besides the shared ladder."""
from __future__ import annotations

from pathlib import Path

from harness.build import Builder, BuildRequest


class Backend:
    """A backend names its device type, says whether kernels can run here, and vets build requests.

    Everything else (sandbox, correctness, timing, verdicts) is shared, so adding a backend
    (Triton, CuPy, NPU) does not touch callers.
    """

    name: str = ""
    device_type: str = "cpu"

    @property
    def can_run(self) -> bool:
        return True

    @property
    def not_run_reason(self) -> str:
        return ""

    @property
    def interpreted(self) -> bool:
        """Kernels run through an interpreter (correctness only): no timing, no speedup, status
        ``interpreted`` instead of ``ok``."""
        return False

    @property
    def unavailable_reason(self) -> str:
        """Why this backend can neither run nor compile kernels on this machine ("" if it can)."""
        return ""

    def devices(self) -> list[str]:
        return [self.device_type]

    def device_name(self, device: str) -> str:
        raise NotImplementedError

    def check_request(self, req: BuildRequest) -> str | None:
        """A reason this backend refuses the request, or None."""
        return None

    def builder(self, cache_dir: Path, *, cuda_arch: str, timeout_s: float) -> Builder:
        return Builder(cache_dir, cuda_arch=cuda_arch, link_cuda=self.can_run, timeout_s=timeout_s)
