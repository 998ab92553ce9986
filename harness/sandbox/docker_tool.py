"""One-off tool runs in a Docker image, for compilers that ship as images (Peano in an image built from
NPUEval's Dockerfiles, say). The tool sees its work folder read-write and nothing else writable: no
network, no capabilities, a read-only root with a private /tmp, and memory, process and time limits.

An image made by ``build_host_image`` (label ``kernelgepa.host-root``) has no programs of its own:
the host's system folders are mounted read-only, and so are the ``host_paths`` the caller names
(the toolchain's folders on the host). Any other image brings its own toolchain, at paths inside it.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.sandbox.client import SandboxStartError
from harness.sandbox.docker import HOST_ROOT_LABEL, connect, host_root_paths, image_labels, reduce_mounts

_TOOL_LABEL = "kernelgepa.tool"


@dataclass(frozen=True)
class ToolRun:
    returncode: int | None  # None: killed at the time limit
    output: str  # stdout and stderr together


def image_env(image: str) -> dict[str, str]:
    """The environment the image sets (its ENV lines), e.g. where it installed its toolchain."""
    client = connect()
    image_labels(client, image)  # one line if the image is missing
    pairs = client.images.get(image).attrs.get("Config", {}).get("Env") or []
    return dict(p.split("=", 1) for p in pairs if "=" in p)


def run_tool(image: str, argv: Sequence[str], workdir: Path | str, *, timeout_s: float,
             host_paths: Sequence[Path | str] = (), memory_bytes: int = 8 << 30, pids: int = 1024) -> ToolRun:
    """Run ``argv`` in a fresh container of ``image`` with ``workdir`` mounted read-write at the same path."""
    import docker
    import requests

    client = connect()
    host_root = image_labels(client, image).get(HOST_ROOT_LABEL) == "1"
    mounts = {p: False for p in [*host_root_paths(), *map(str, host_paths)] if os.path.exists(p)} if host_root else {}
    mounts[str(workdir)] = True
    try:
        container = client.containers.run(
            image, list(argv), detach=True, working_dir=str(workdir),
            mounts=[docker.types.Mount(p, p, type="bind", read_only=not rw) for p, rw in reduce_mounts(mounts).items()],
            network_mode="none", read_only=True, tmpfs={"/tmp": "rw,size=1g,mode=1777"},
            user=f"{os.getuid()}:{os.getgid()}", cap_drop=["ALL"], security_opt=["no-new-privileges"],
            mem_limit=memory_bytes, memswap_limit=memory_bytes, pids_limit=pids, labels={_TOOL_LABEL: "1"})
    except docker.errors.APIError as e:
        raise SandboxStartError(f"could not start {argv[0]} in {image}: "
                                f"{str(e.explanation or e).splitlines()[0]}") from None
    try:
        try:
            code = container.wait(timeout=timeout_s).get("StatusCode")
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            container.kill()
            code = None
        return ToolRun(code, container.logs(stdout=True, stderr=True).decode(errors="replace"))
    finally:
        container.remove(force=True)
