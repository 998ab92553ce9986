"""The device pool: runs on one device never overlap, so timings stay clean."""
from __future__ import annotations

import queue
from contextlib import contextmanager


class DevicePool:
    def __init__(self, devices: list[str]):
        if not devices:
            raise ValueError("a device pool needs at least one device")
        self._free: queue.Queue[str] = queue.Queue()
        for d in devices:
            self._free.put(d)

    def acquire(self) -> str:
        return self._free.get()

    def release(self, device: str) -> None:
        self._free.put(device)

    @contextmanager
    def lease(self):
        dev = self.acquire()
        try:
            yield dev
        finally:
            self.release(dev)


def as_pool(devices: "str | DevicePool") -> DevicePool:
    return devices if isinstance(devices, DevicePool) else DevicePool([devices])
