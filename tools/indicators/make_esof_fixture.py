#!/usr/bin/env python3
"""Writes tests/data/indicators/esof_2026.json: the 2026 new and full moons and the Moon's
illuminated fraction at sample instants, computed with PyPI `ephem` (scripts/requirements-interop.txt).

    .venv/bin/python tools/indicators/make_esof_fixture.py > tests/data/indicators/esof_2026.json
"""
import datetime as dt
import json

import ephem


def iso(d):
    return d.datetime().replace(tzinfo=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def events(step):
    out = []
    t = ephem.Date("2026/01/01 00:00:00")
    end = ephem.Date("2027/01/01 00:00:00")
    while True:
        t = step(t)
        if t >= end:
            return out
        out.append(iso(ephem.Date(t)))


samples = []
start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
for i in range(0, 365 * 4, 7):  # every 42 h through 2026
    when = start + dt.timedelta(hours=6 * i)
    if when.year != 2026:
        break
    moon = ephem.Moon(ephem.Date(when.replace(tzinfo=None)))
    samples.append({"t": when.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00"), "illumination": round(moon.moon_phase, 6)})

print(json.dumps({
    "generator": "tools/indicators/make_esof_fixture.py with ephem " + ephem.__version__,
    "new_moons": events(ephem.next_new_moon),
    "full_moons": events(ephem.next_full_moon),
    "illumination": samples,
}, indent=1))
