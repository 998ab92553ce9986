"""DockerSandbox: the fork server runs in a long-lived container, one container per worker.

Why warm: starting a container and importing torch in it takes seconds; forking a child in a
running one takes milliseconds, so per-evaluation cost stays close to the local sandbox's. Each
container has no network (``network_mode=none``), a read-only root, a private tmpfs at /tmp (HOME
and TMPDIR), memory / pids / CPU limits, no capabilities, ``no-new-privileges`` and the same
allow-listed environment as the local sandbox. Host paths appear at the same path, read-only
unless noted: job dirs (read-write: the child writes its result there, and the markers / replies
FIFOs work across the mount), the project, the build and reference cache, and the folders of the
candidate and task files. Verdicts are computed in the parent from what the child wrote.

Images: ``build_host_image`` imports an image with an empty root (no registry, no download); with
it the host's /usr, /lib* and Python prefix are mounted read-only and the host's interpreter runs.
Any other image (e.g. CUDA + PyTorch) runs its own ``python3`` (or its label kernelgepa.python)
with the project mounted; its torch must match the host's, since kernels are built on the host.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import site
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.sandbox import SandboxJob, SandboxOutcome
from harness.sandbox.client import ForkServerClient, SandboxStartError
from harness.sandbox.isolation import protect_parent
from harness.sandbox.local import PROJECT_ROOT, fork_server_env

DEFAULT_IMAGE = "kernelgepa-host:latest"
HOST_ROOT_LABEL = "kernelgepa.host-root"
PYTHON_LABEL = "kernelgepa.python"
_CONTAINER_LABEL = "kernelgepa.sandbox"
# Set by the container runtime for the GPUs it exposes; the host's values would name the wrong ones.
_HOST_ONLY_ENV = ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES")
# The fork server's only capabilities: enough to build each job's private view (confine.py) and switch
# it to an unprivileged user; every job drops all of them before its first line runs.
_SERVER_CAPS = ("SYS_ADMIN", "SYS_CHROOT", "SETUID", "SETGID", "CHOWN", "KILL")
_ENGINE_HINT = "start it (`sudo systemctl start docker`, or `sudo dockerd &`) or point DOCKER_HOST at one"


@dataclass(frozen=True)
class DockerLimits:
    memory_bytes: int = 16 << 30  # the whole container (fork server + job); no swap beyond it
    pids: int = 4096  # processes and threads
    # CPU limit by pinning (default: the cores this process may use). A CFS quota (``cpus``, off by
    # default) can throttle a timed run mid-measurement once spinning OpenMP threads use up the period.
    cpuset: str | None = None
    cpus: float | None = None
    tmpfs_bytes: int = 2 << 30  # /tmp


def connect():
    """A docker-py client for the engine at DOCKER_HOST (or the default socket), or one line saying what to start."""
    try:
        import docker
    except ImportError:
        raise SandboxStartError("the Docker sandbox needs docker-py: pip install 'kernelgepa[docker]'") from None
    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        client = docker.from_env()
        client.ping()
    except Exception:  # noqa: BLE001 - docker-py raises several kinds for "nobody there"
        raise SandboxStartError(f"no Docker engine reachable at {where}: {_ENGINE_HINT}") from None
    return client


def image_labels(client, image: str) -> dict[str, str]:
    """The image's labels, or one line saying how to get the image."""
    import docker

    try:
        return client.images.get(image).labels or {}
    except docker.errors.ImageNotFound:
        raise SandboxStartError(f"Docker image {image!r} not found: build it with `kernelgepa sandbox build-image` "
                                f"(no download), or `docker pull` an image of your choice") from None


def build_host_image(tag: str = DEFAULT_IMAGE, client=None) -> str:
    """Import an image whose root holds only mount points, /tmp and /etc/passwd (nothing is downloaded).
    It is meant for this host: its /bin, /lib... symlinks mirror the host's, and the host's files are
    mounted at run time."""
    from docker.utils import parse_repository_tag

    client = client or connect()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        def add(name: str, kind: bytes, mode: int = 0o755, link: str = "", data: bytes = b"") -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.linkname, info.size = kind, mode, link, len(data)
            tar.addfile(info, io.BytesIO(data) if data else None)

        for name, mode in (("tmp", 0o1777), ("proc", 0o555), ("sys", 0o555), ("dev", 0o755), ("etc", 0o755)):
            add(name, tarfile.DIRTYPE, mode)
        for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):  # merged-/usr layouts
            if os.path.islink("/" + name):
                add(name, tarfile.SYMTYPE, 0o777, link=os.readlink("/" + name))
        uid, gid = os.getuid(), os.getgid()
        users = "root:x:0:0:root:/tmp:/bin/sh\n" + (f"kernelgepa:x:{uid}:{gid}::/tmp:/bin/sh\n" if uid else "")
        add("etc/passwd", tarfile.REGTYPE, 0o644, data=users.encode())
        add("etc/group", tarfile.REGTYPE, 0o644, data=f"root:x:0:\nkernelgepa:x:{gid}:\n".encode())
    repo, version = parse_repository_tag(tag)
    client.api.import_image_from_data(buf.getvalue(), repository=repo, tag=version or "latest",
                                      changes=[f"LABEL {HOST_ROOT_LABEL}=1"])
    return f"{repo}:{version or 'latest'}"


def host_root_paths() -> list[str]:
    """Host paths the host's interpreter needs in a host-root image (mounted read-only)."""
    paths = ["/usr"] + [p for p in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
                        if os.path.isdir(p) and not os.path.islink(p)]
    paths += [sys.prefix, sys.base_prefix, str(Path(os.path.realpath(sys.executable)).parents[1])]
    return paths + [p for p in [*site.getsitepackages(), site.getusersitepackages()] if os.path.isdir(p)]


def gpu_requests(devices: Sequence[str], visible: str | None = None) -> list:
    """Device requests for the GPUs among ``devices`` (e.g. cuda:1). The host's GPUs up to the highest
    one asked for are exposed in host order, so cuda:k names the same GPU inside and outside; the
    executor's DevicePool leases one of them per evaluation. ``visible``: the host's CUDA_VISIBLE_DEVICES."""
    import docker

    idx = [int(d.split(":", 1)[1]) for d in devices if d.startswith("cuda:")]
    if not idx:
        return []
    ids = [s.strip() for s in visible.split(",") if s.strip()] if visible else [str(i) for i in range(max(idx) + 1)]
    if len(ids) <= max(idx):
        raise SandboxStartError(f"cuda:{max(idx)} is not among the visible GPUs ({visible})")
    return [docker.types.DeviceRequest(device_ids=ids[: max(idx) + 1], capabilities=[["gpu"]])]


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _nearest(path: str, mounts: dict[str, bool]) -> str | None:
    covers = [q for q in mounts if _under(path, q)]
    return max(covers, key=len) if covers else None


def reduce_mounts(mounts: dict[str, bool]) -> dict[str, bool]:
    """{path: writable} without paths that the nearest enclosing mount already gives with the same access."""
    kept: dict[str, bool] = {}
    for path in sorted(mounts, key=lambda p: (p.rstrip("/").count("/"), p)):
        near = _nearest(path, kept)
        if near is None or kept[near] != mounts[path]:
            kept[path] = mounts[path]
    return kept


def missing_mounts(need: dict[str, bool], mounts: dict[str, bool]) -> dict[str, bool]:
    """The needed paths the container cannot reach (or cannot write where it must)."""
    out = {}
    for path, rw in need.items():
        near = _nearest(path, mounts)
        if near is None or (rw and not mounts[near]):
            out[path] = rw
    return out


def referenced_paths(job_dir: Path) -> dict[str, bool]:
    """What a job needs mounted: its parent folder (read-write) and the folders of every host path its
    job.json names (candidate, task, reference dir, built kernels), read-only."""
    need = {str(job_dir.parent): True}

    def walk(value) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str) and value.startswith("/") and len(value) < 4096 and os.path.exists(value):
            folder = value if os.path.isdir(value) else os.path.dirname(value)
            if folder == "/":
                raise SandboxStartError(f"{value}: will not mount / into the container; move the file into a folder")
            need.setdefault(folder, False)

    walk(json.loads((job_dir / "job.json").read_text()))
    return need


class DockerSandbox(ForkServerClient):
    """A fork server in one warm container; jobs are fed through FIFOs in a mounted control folder."""

    def __init__(self, image: str = DEFAULT_IMAGE, *, threads: int | None = None, paths: Sequence[Path | str] = (),
                 rw_paths: Sequence[Path | str] = (), gpus: Sequence[str] = (), limits: DockerLimits = DockerLimits(),
                 extra_env: dict[str, str] | None = None, start_timeout_s: float = 300.0):
        """``paths`` / ``rw_paths``: host folders to expose up front (read-only / read-write), e.g. the
        evaluator's cache root and job root; folders a job names later are added by a restart."""
        super().__init__()
        self._container = None
        self._ctl: Path | None = None
        self._to_server, self._from_server_fd = None, None
        self.image = image
        self._threads = threads or os.cpu_count() or 1
        self._limits, self._start_timeout = limits, start_timeout_s
        self._client = connect()
        labels = image_labels(self._client, image)
        host_root = labels.get(HOST_ROOT_LABEL) == "1"
        self._python = sys.executable if host_root else labels.get(PYTHON_LABEL, "python3")
        self._mounts = {p: False for p in [*(host_root_paths() if host_root else []), PROJECT_ROOT, *map(str, paths)]}
        self._mounts.update({str(p): True for p in rw_paths})
        self._env = {k: v for k, v in fork_server_env(self._threads, extra_env).items() if k not in _HOST_ONLY_ENV}
        self._device_requests = gpu_requests(gpus, os.environ.get("CUDA_VISIBLE_DEVICES"))
        self.restarts = 0
        protect_parent()
        self._start()

    # ---- lifecycle ----------------------------------------------------------------------
    def _start(self) -> None:
        import docker

        self._ctl = Path(tempfile.mkdtemp(prefix="kgepa-docker-"))
        cin, cout = self._ctl / "in", self._ctl / "out"
        os.mkfifo(cin, 0o600)
        os.mkfifo(cout, 0o600)
        # Ours first, so the server's opens return at once; EOF on "in" (our close) stops the server.
        self._to_server = os.fdopen(os.open(cin, os.O_RDWR), "wb")
        self._from_server_fd = os.open(cout, os.O_RDONLY | os.O_NONBLOCK)
        self._buf = b""
        mounts = reduce_mounts({**{p: rw for p, rw in self._mounts.items() if os.path.exists(p)},
                                str(self._ctl): False})
        lim = self._limits
        try:
            self._container = self._client.containers.run(
                self.image, [self._python, "-m", "harness.sandbox.forkserver", str(cin), str(cout)], detach=True,
                mounts=[docker.types.Mount(p, p, type="bind", read_only=not rw) for p, rw in mounts.items()],
                network_mode="none", read_only=True, tmpfs={"/tmp": f"rw,size={lim.tmpfs_bytes},mode=1777"},
                environment=self._env, working_dir="/", user=f"{os.getuid()}:{os.getgid()}",
                cap_drop=["ALL"], cap_add=list(_SERVER_CAPS), security_opt=["no-new-privileges"], mem_limit=lim.memory_bytes,
                memswap_limit=lim.memory_bytes, pids_limit=lim.pids, nano_cpus=int(lim.cpus * 1e9) if lim.cpus else None,
                cpuset_cpus=lim.cpuset or ",".join(map(str, sorted(os.sched_getaffinity(0)))),
                device_requests=self._device_requests, labels={_CONTAINER_LABEL: "1"})
        except docker.errors.APIError as e:
            self._stop()
            raise SandboxStartError(f"could not start a container from {self.image}: "
                                    f"{str(e.explanation or e).splitlines()[0]}") from None
        msg = self._await_ready()
        self.isolation = {"sandbox": "docker", "pid_namespace": msg["pid_namespace"],
                          "network_isolated": msg["network_isolated"], "container": self.image, "read_only_root": True}

    def _await_ready(self) -> dict:
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            try:
                msg = self._read_event(min(deadline, time.monotonic() + 1.0))
            except SandboxStartError:
                msg = None
            if msg and msg.get("event") == "ready":
                return msg
            self._container.reload()
            if self._container.status in ("exited", "dead"):
                break
        logs = self._container.logs(tail=5).decode(errors="replace").strip().splitlines()
        self._stop()
        raise SandboxStartError(f"the fork server in {self.image} did not start: "
                                f"{logs[-1] if logs else 'no handshake'}")

    def _stop(self) -> None:
        if self._container is not None:
            try:
                self._container.remove(force=True)
            except Exception:  # noqa: BLE001 - already gone, or the engine went away
                pass
            self._container = None
        if self._to_server is not None:
            self._to_server.close()
            self._to_server = None
        if self._from_server_fd is not None:
            os.close(self._from_server_fd)
            self._from_server_fd = None
        if self._ctl:
            shutil.rmtree(self._ctl, ignore_errors=True)
            self._ctl = None

    def close(self) -> None:
        with self._lock:
            self._stop()

    def __del__(self):
        try:
            self._stop()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    # ---- jobs ---------------------------------------------------------------------------
    def _run(self, job: SandboxJob) -> SandboxOutcome:
        missing = missing_mounts(referenced_paths(Path(job.job_dir)), self._mounts)
        if missing or self._container is None:
            # A folder the container cannot see yet (a new candidate folder, say): mounts are fixed
            # at creation, so the container is replaced once; later jobs there reuse it.
            self._mounts.update(missing)
            self._stop()
            self._start()
            self.restarts += 1
        try:
            return super()._run(job)
        except SandboxStartError:
            self._stop()  # the server is gone (e.g. killed by the engine): the next job starts afresh
            raise
