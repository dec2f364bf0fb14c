"""The demo the compatibility tests read: seeded once per module (without the generated
catalogue), rolled back after; and a client for paths under the compatibility prefix."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from pfdo.common.tests.worlds import world_once


def _seed():
    from pfdo.demo.seed import seed

    seed("small", generated=False)
    return True


compat_demo = world_once(_seed)


def compat_path(path: str) -> str:
    return "/" + settings.PFDO_COMPAT_API_PREFIX + path.lstrip("/")


class CompatClient:
    """GET/POST a path under the prefix, as an anonymous client from one address."""

    def __init__(self, address: str = "198.51.100.7") -> None:
        self.client = Client(REMOTE_ADDR=address)

    def get(self, path: str, **extra):
        return self.client.get(compat_path(path), **extra)

    def post(self, path: str, body=None, **extra):
        return self.client.post(
            compat_path(path),
            body if body is not None else {},
            content_type="application/json",
            **extra,
        )

    def request(self, method: str, path: str, body=None):
        if method == "GET":
            return self.get(path)
        return self.post(path, body)


@pytest.fixture
def compat(compat_demo, db) -> CompatClient:
    return CompatClient()
