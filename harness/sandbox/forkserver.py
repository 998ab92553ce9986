"""Fork server: a scrubbed process with torch already imported that forks one child per job.

Importing torch costs about a second; forking a process that already has it costs about ten
milliseconds, which keeps the harness's per-evaluation overhead small. The server is started
with an allow-listed environment (it never holds a secret) and, where the OS allows, inside new
PID, mount and network namespaces, so children see no outside process and have no network.

Protocol (JSON lines, over stdin/stdout or two FIFOs given as arguments): stdin ``{"op": "run", "job_dir": D}`` / ``{"op": "kill", "pid": P}``;
stdout ``{"event": "ready", ...}``, ``{"event": "started", "pid": P}``,
``{"event": "exited", "pid": P, "code": C, "signal": S}``.
The server must never run a torch op itself: a forked child of a process whose OpenMP pool
already exists can deadlock.
"""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import sys
import tempfile

from harness.sandbox.isolation import own_pid_namespace


def _emit(obj: dict) -> None:
    os.write(1, (json.dumps(obj) + "\n").encode())


def _network_isolated() -> bool:
    try:
        return all(name == "lo" for _, name in socket.if_nameindex())
    except OSError:
        return False


def _spare(max_file_bytes: int) -> tuple[int, int]:
    """Fork a child ahead of time that waits for its job dir, so a job never waits for fork() (nor
    for its PID namespace: made here too)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        os.setsid()
        os.close(w)
        pid_namespace = own_pid_namespace()
        data = b""
        while chunk := os.read(r, 4096):
            data += chunk
        if not data:
            os._exit(0)
        _child(data.decode(), max_file_bytes, pid_namespace)
    os.close(r)
    return pid, w


def _child(job_dir: str, max_file_bytes: int, pid_namespace: bool | str) -> None:
    """Runs in the forked child: never returns."""
    code = 70
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        log = os.open(os.path.join(job_dir, "log.txt"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        # The channels to the parent are opened now, while the job folder is still ours to open.
        markers = os.open(os.path.join(job_dir, "markers"), os.O_WRONLY | os.O_NONBLOCK)
        replies = os.open(os.path.join(job_dir, "replies"), os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.dup2(markers, 3)
        os.dup2(replies, 4)
        os.closerange(5, 1024)
        from harness.sandbox.confine import confine
        from harness.sandbox.isolation import set_limits
        from harness.worker.main import run_job

        with open(os.path.join(job_dir, "job.json")) as f:
            job = json.load(f)
        set_limits(max_file_bytes=max_file_bytes)
        active = confine(job_dir, job, _VIEW_ROOT, _VIEW_PATHS, _CPUS)
        active["job_pid_namespace"] = pid_namespace
        code = run_job(job_dir, isolation=active, channels=(3, 4))
    except BaseException:  # noqa: BLE001 - the child must always exit, never return into the server loop
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def _sweep(spare: int | None) -> None:
    """Kill every process of this PID namespace but the server and the ``spare`` (with the init it
    forks for its job's namespace): what a job left behind (double-forked, in a new session) dies
    with it. Only when this server is the namespace's init."""
    if os.getpid() != 1:
        return
    for _ in range(100):  # (jobs in PID namespaces of their own are gone already; this is the second net)
        alive = []
        for name in os.listdir("/proc"):
            if name.isdigit() and int(name) != 1:
                try:
                    with open(f"/proc/{name}/stat", "rb") as f:
                        state, ppid = f.read().rsplit(b")", 1)[1].split()[:2]
                    if state != b"Z" and spare not in (int(name), int(ppid)):
                        alive.append(int(name))
                except (OSError, IndexError):
                    pass
        if not alive:
            return
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


_VIEW_ROOT: str | None = None
_VIEW_PATHS: list[str] = []
_CPUS: set[int] | None = None


def serve() -> None:
    global _VIEW_ROOT, _VIEW_PATHS, _CPUS
    max_file_bytes = int(os.environ.get("KERNELGEPA_MAX_FILE_BYTES", str(4 << 30)))
    # Preload everything a child needs (imports only, no torch op): torch._dynamo alone costs
    # ~1 s and is pulled in by the first TorchDispatchMode a child enters. The server itself must
    # never initialise CUDA, or no forked child can use the GPU; but torch.utils.cpp_extension asks
    # torch.cuda.is_available() at import, which does (cuInit). NVML answers that instead while
    # preloading; the children ask CUDA again, since NVML's handles do not survive into them.
    os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"] = "1"
    import numpy  # noqa: F401
    import torch  # noqa: F401
    import torch._dynamo  # noqa: F401
    import torch.utils.cpp_extension  # noqa: F401
    import harness.worker.candidate  # noqa: F401
    import harness.worker.main  # noqa: F401
    import harness.worker.reference  # noqa: F401
    import kernelbench_tasks.task  # noqa: F401
    del os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"]
    from harness.sandbox.confine import system_paths

    _VIEW_PATHS = system_paths()
    _VIEW_ROOT = tempfile.mkdtemp(prefix="kgepa-view-")
    cpus = os.environ.get("KERNELGEPA_CPUS")
    _CPUS = {int(c) for c in cpus.split(",")} if cpus else set(os.sched_getaffinity(0))

    rfd, wfd = os.pipe()
    os.set_blocking(wfd, False)
    signal.set_wakeup_fd(wfd)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _emit({"event": "ready", "pid_namespace": os.getpid() == 1, "cpus": sorted(_CPUS),
           "network_isolated": _network_isolated(), "python": sys.executable})
    buf = b""
    children: set[int] = set()
    spare = _spare(max_file_bytes)
    job = None
    stdin_open = True
    while stdin_open or children:
        ready, _, _ = select.select([0, rfd] if stdin_open else [rfd], [], [], 1.0)
        if rfd in ready:
            os.read(rfd, 4096)
        while True:  # reap every child, orphans a job left behind (now ours, as init) included
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            children.discard(pid)
            if pid == job:
                job = None
                _sweep(spare[0])
            _emit({"event": "exited", "pid": pid,
                   "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                   "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None})
        if 0 in ready:
            chunk = os.read(0, 65536)
            if not chunk:
                stdin_open = False
                os.close(spare[1])  # the spare reads EOF and exits
                children.add(spare[0])
                for pid in children:
                    _kill(pid)
                _sweep(None)
                try:
                    os.rmdir(_VIEW_ROOT)
                except OSError:
                    pass
                continue
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                msg = json.loads(line)
                if msg["op"] == "run":
                    pid, w = spare
                    _sweep(pid)  # whatever an earlier job left: gone before this one starts
                    job = pid
                    os.write(w, msg["job_dir"].encode())
                    os.close(w)
                    children.add(pid)
                    _emit({"event": "started", "pid": pid})
                    spare = _spare(max_file_bytes)
                elif msg["op"] == "kill":
                    _kill(int(msg["pid"]))


def _family(pid: int) -> list[int]:
    """``pid`` and its children: a spare waiting for a job is the pair (spare, its namespace's init)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [pid, *map(int, f.read().split())]
    except (OSError, ValueError):
        return [pid]


def _kill(pid: int) -> None:
    """Kill a job: the process the server forked, its group, and the init of the job's own PID
    namespace (which takes every process of that namespace with it, whatever session it is in)."""
    for child in _family(pid)[1:]:
        try:
            os.kill(child, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _attach(in_fifo: str, out_fifo: str) -> None:
    """Use two FIFOs as stdin/stdout (a container's control channel: the parent holds the other ends)."""
    for path, flags, target in ((in_fifo, os.O_RDONLY, 0), (out_fifo, os.O_WRONLY, 1)):
        fd = os.open(path, flags)
        os.dup2(fd, target)
        os.close(fd)


if __name__ == "__main__":  # python -m harness.sandbox.forkserver [IN_FIFO OUT_FIFO]
    if len(sys.argv) == 3:
        _attach(sys.argv[1], sys.argv[2])
    serve()
