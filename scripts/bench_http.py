"""HTTP clients of the benchmarks: a burst of calls released together, or clients posting in
a loop for a while, each on its own connection (aiohttp); `Run` holds their figures."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Run:
    name: str
    seconds: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    bodies: list = field(default_factory=list)
    wall: float = 0.0
    clients: int = 0

    @property
    def completed(self) -> int:
        return sum(n for s, n in self.statuses.items() if 200 <= s < 300)

    @property
    def per_second(self) -> float:
        return self.completed / self.wall if self.wall else 0.0

    def pct(self, share: float) -> float:
        ordered = sorted(self.seconds)
        return 1000 * ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    @property
    def errors(self) -> dict:
        return {s: n for s, n in sorted(self.statuses.items()) if not 200 <= s < 300}

    def line(self) -> str:
        return (
            f"  {self.name}: {self.completed} completed in {self.wall:.2f} s = "
            f"{self.per_second:.1f}/s; p50 {self.pct(0.5):.0f} ms, p95 {self.pct(0.95):.0f} ms, "
            f"p99 {self.pct(0.99):.0f} ms; errors {self.errors or 'none'}"
        )


async def burst(base: str, name: str, calls: list[tuple[str, str, str, dict]]) -> Run:
    """Every call on its own client and connection, all released together."""
    import aiohttp

    run = Run(name, clients=len(calls))
    gate = asyncio.Event()
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, force_close=False), timeout=timeout
    ) as session:

        async def one(method, path, token, body):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            await gate.wait()
            started = time.perf_counter()
            try:
                async with session.request(method, base + path, json=body, headers=headers) as r:
                    answer = await r.read()
                    status = r.status
            except (TimeoutError, aiohttp.ClientError):
                status, answer = 599, b""
            run.seconds.append(time.perf_counter() - started)
            run.statuses[status] += 1
            try:
                return json.loads(answer) if answer else None
            except ValueError:
                return None

        tasks = [asyncio.create_task(one(*call)) for call in calls]
        await asyncio.sleep(0.2)  # every task waiting at the gate
        started = time.perf_counter()
        gate.set()
        run.bodies = await asyncio.gather(*tasks)
        run.wall = time.perf_counter() - started
    return run


async def loop(base: str, name: str, clients: int, body_of, seconds: float) -> Run:
    """`clients` clients posting one after another until the time is up (the ceilings)."""
    import aiohttp

    run = Run(name, clients=clients)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        deadline = 0.0

        async def client(index: int):
            count = 0
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    async with session.post(base + "/", json=body_of(index, count)) as r:
                        await r.read()
                        status = r.status
                except aiohttp.ClientError:
                    status = 599
                run.seconds.append(time.perf_counter() - started)
                run.statuses[status] += 1
                count += 1

        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(client(i) for i in range(clients)))
        run.wall = time.perf_counter() - started
    return run
