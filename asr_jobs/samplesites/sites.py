"""Every lab of a lab file as a sample site: one module per career system (greenhouse.py, workday.py ...)
models its paging, totals and detail routes; this module picks each lab's system and gives it a virtual
host and a size.

Hosts and sizes come from the lab entries themselves: the virtual host is the lab's real host under the
reserved .test top-level domain (labs that share a real host, such as the Greenhouse boards, share a virtual
one and its per-host limit), and the number of postings is the size of the lab's career system. A lab added
to labs.toml is served with no edit here.
"""

from __future__ import annotations

import dataclasses
import importlib
from types import ModuleType

from ..models import Lab
from .common import Routes

# Postings per lab of each career system in the full benchmark: a few thousand in all, sized so that the
# hosts that need a request per posting (details) have queues of similar length, as on the real sites.
SIZES = {"greenhouse": 110, "ashby": 120, "workable": 50, "workday": 145, "eightfold": 100, "amazon": 300,
         "apple": 140, "google": 140, "meta": 125, "mit": 80}
SYSTEMS = tuple(SIZES)


def system(lab: Lab) -> ModuleType:
    """The sample-site module of a lab's career system; a one-line error for a system without one."""
    if lab.adapter not in SIZES:
        raise ValueError(f"{lab.name}: no sample site for adapter {lab.adapter!r} (sample systems: {', '.join(SYSTEMS)})")
    return importlib.import_module(f"{__package__}.{lab.adapter}")


def virtual_host(lab: Lab) -> str:
    """The lab's real host under .test: boards-api.greenhouse.io -> boards-api.greenhouse.test."""
    return virtual(system(lab).real_host(lab))


def virtual(host: str) -> str:
    """A host under the reserved .test top-level domain: its last label replaced."""
    return host.rsplit(".", 1)[0] + ".test"


def size(lab: Lab, scale: float = 1.0) -> int:
    """Postings of the lab's sample site at `scale` of the benchmark size (at least 4)."""
    return max(4, round(SIZES[lab.adapter] * scale))


def served(labs: dict[str, Lab]) -> dict[str, Lab]:
    """The labs that have a sample site, each with params.base_url on its virtual host."""
    return {name: dataclasses.replace(lab, params={**lab.params, "base_url": f"http://{virtual_host(lab)}"}) for name, lab in labs.items()
            if lab.adapter in SIZES}


def build(labs: dict[str, Lab], scale: float = 1.0, sizes: dict[str, int] | None = None) -> tuple[Routes, dict[str, int]]:
    """Routes of every lab's sample site on its virtual host, and the postings served per lab.

    `sizes` sets a lab's postings by name; other labs get `scale` of their system's benchmark size.
    """
    routes: Routes = {}
    counts: dict[str, int] = {}
    for name, lab in labs.items():
        counts[name] = (sizes or {}).get(name) or size(lab, scale)
        routes.update(system(lab).site(lab, counts[name], virtual_host(lab)))
    return routes, counts


def demo_recordings() -> dict[str, list[dict]]:
    """HAR entries of every lab's demo recording, by lab name."""
    recordings: dict[str, list[dict]] = {}
    for name in SYSTEMS:
        recordings.update(importlib.import_module(f"{__package__}.{name}").recordings())
    return recordings
