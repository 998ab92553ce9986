"""``--sandbox {local,docker}`` for eval / baseline / optimize, and ``kernelgepa sandbox build-image``."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from harness.sandbox import Sandbox
from harness.sandbox.docker import DEFAULT_IMAGE


def add_sandbox_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sandbox", choices=("local", "docker"), default="local",
                   help="where candidate code runs: a namespaced process (default) or a warm Docker container "
                        "per worker (no network, read-only root)")
    p.add_argument("--docker-image", default=DEFAULT_IMAGE,
                   help=f"image for --sandbox docker (default {DEFAULT_IMAGE}: `kernelgepa sandbox build-image`)")


def add_sandbox_parser(sub) -> None:
    p = sub.add_parser("sandbox", help="set up the Docker sandbox")
    ssub = p.add_subparsers(dest="sandbox_cmd", required=True)
    b = ssub.add_parser("build-image", help="import an image with an empty root for --sandbox docker (no download: "
                                            "the host's system, Python and project are mounted read-only at run time)")
    b.add_argument("--tag", default=DEFAULT_IMAGE, help=f"image name (default {DEFAULT_IMAGE})")


def cmd_sandbox(args) -> int:
    from harness.sandbox.docker import build_host_image
    from kernelgepa.tables import console

    console.print(f"built {build_host_image(args.tag)}: use it with --sandbox docker --docker-image {args.tag}",
                  highlight=False)
    return 0


def ensure_image(client, image: str) -> None:
    """The image must exist; our own default image is built on first use (a local import, no download)."""
    from harness.sandbox.client import SandboxStartError
    from harness.sandbox.docker import build_host_image, image_labels
    from kernelgepa.tables import console

    try:
        image_labels(client, image)
    except SandboxStartError:
        if image != DEFAULT_IMAGE:
            raise
        console.print(f"building the sandbox image {image} (first use, no download)", highlight=False)
        build_host_image(image, client)


def sandbox_factory(ev, args, threads: int) -> Callable[[], Sandbox]:
    """One new sandbox per executor worker. For Docker, the engine and image are checked now (one line
    if missing), and the folders jobs will name are mounted up front so containers are not restarted."""
    if args.sandbox == "local":
        from harness.sandbox.local import LocalProcessSandbox

        return lambda: LocalProcessSandbox(threads=threads)
    from harness.sandbox.docker import DockerSandbox, connect

    ensure_image(connect(), args.docker_image)
    tasks = Path(args.tasks).resolve()
    paths = [tasks if tasks.is_dir() else tasks.parent]  # no cache: jobs get copies of their inputs and kernels
    if getattr(args, "solutions", None):
        paths.append(Path(args.solutions))
    if hasattr(args, "run_dir"):  # optimize writes kernels under the run dir (default runs/<time>)
        paths.append(Path(args.run_dir) / "kernels" if args.run_dir else Path("runs"))
    gpus = [d for d in ev.backend.devices() if d.startswith("cuda:")]
    return lambda: DockerSandbox(args.docker_image, threads=threads, paths=[p.resolve() for p in paths],
                                 rw_paths=[ev.runner.work_root], gpus=gpus)
