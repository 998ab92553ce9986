"""Between a compile's first isolation step and the compiler: ``isolation.run_compiler`` runs this as
a fresh single-threaded interpreter (``python -I -S``), already in its own process group, network
namespace, and a new PID namespace for the processes it starts.

Its child is that namespace's init: it builds the compile's private view (``confine.enter_compile_view``:
system folders read-only, the build folder writable, nothing else), drops every capability and execs
the compiler. When the compiler exits, the kernel kills whatever the compile left in the namespace.
This process waits and exits as the compiler did.

Usage: python -I -S compile_reaper.py PROJECT_ROOT VIEW_ROOT PATHS_JSON WORKDIR COMPILER [ARG...]
(VIEW_ROOT empty: no private view).
"""
from __future__ import annotations

import json
import os
import signal
import sys


def main(argv: list[str]) -> None:
    project, view_root, paths, workdir, *cmd = argv
    sys.path.insert(0, project)
    from harness.sandbox.confine import enter_compile_view
    from harness.sandbox.isolation import drop_privileges, rearm_parent_death_signal, set_limits

    pid = os.fork()
    if pid == 0:
        try:
            rearm_parent_death_signal()
            if view_root:
                try:
                    enter_compile_view(view_root, workdir, json.loads(paths))
                except PermissionError:
                    pass  # no mount namespace to be had here: isolation.compile_isolation() reports it
            drop_privileges()
            set_limits(max_file_bytes=4 << 30, max_procs=None)
            os.execv(cmd[0], cmd)
        except BaseException as e:  # noqa: BLE001 - never run a compiler half-confined
            print(f"compile sandbox: {e}", file=sys.stderr)
        finally:
            os._exit(71)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        os.kill(os.getpid(), os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 70)


if __name__ == "__main__":
    main(sys.argv[1:])
