"""Availability: every start at which the visit can be booked, each with one assignment.

The candidate sets come from the exact numpy DP in ``candidates``; CP-SAT is not used here
because enumerating starts with it costs tens to hundreds of milliseconds where the sweep
costs well under one, and it would add nothing to exactness.
When parts of the visit could compete for one resource (see ``candidates``), each DP candidate
is confirmed by an exact depth-first search; if the time limit stops that search,
``complete`` is False and the starts confirmed so far are returned.
"""

from __future__ import annotations

import time

import numpy as np

from solver.assemble import Assembler, LazySlots
from solver.candidates import Chains
from solver.masks import Timeline
from solver.prepare import prepare
from solver.problem import SlotQuery
from solver.result import Availability, Slot


def find_availability(query: SlotQuery) -> Availability:
    t0 = time.perf_counter()
    prep = prepare(query)
    timeline = Timeline(prep)
    chains = Chains(timeline)
    assembler = Assembler(timeline, chains.part_masks)
    js = np.flatnonzero(chains.bookable[0])
    slots: list[Slot] = []
    if not chains.coupled:
        return Availability(LazySlots(assembler, chains.witnesses(js)), True)
    deadline = t0 + query.time_limit_seconds
    for j in js:
        try:
            chain = chains.exact_chain(int(j), deadline)
        except TimeoutError:
            return Availability(tuple(slots), False)
        if chain is not None:
            slots.append(assembler.slot(chain.js, chain.resources))
    return Availability(tuple(slots), True)
