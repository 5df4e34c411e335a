"""WGS-84 <-> GCJ-02, the offset datum every map inside China (and wx.getLocation with
type 'gcj02') uses. The project stores GCJ-02, the datum the mini-program's map shows.

The forward transform is the published closed formula; the inverse has no closed form
and is found by fixed-point iteration to well under a centimetre.
"""
from __future__ import annotations

import math

A = 6378245.0  # Krasovsky 1940 semi-major axis used by the formula
EE = 0.00669342162296594323
SYSTEMS = ("gcj02", "wgs84")
STORED = "gcj02"  # what the database holds (WeChat maps speak it)


def outside_china(lng: float, lat: float) -> bool:
    """The offset is only applied inside this box (the formula's own convention)."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _offset_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _offset_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    if outside_china(lng, lat):
        return lng, lat
    dlat = _offset_lat(lng - 105.0, lat - 35.0)
    dlng = _offset_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (A / sqrtmagic * math.cos(radlat) * math.pi)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    if outside_china(lng, lat):
        return lng, lat
    wlng, wlat = lng, lat
    for _ in range(30):
        glng, glat = wgs84_to_gcj02(wlng, wlat)
        dlng, dlat = glng - lng, glat - lat
        if abs(dlng) < 1e-9 and abs(dlat) < 1e-9:
            break
        wlng, wlat = wlng - dlng, wlat - dlat
    return wlng, wlat


def to_stored(lng: float, lat: float, system: str) -> tuple[float, float]:
    """A client coordinate in the stored datum (GCJ-02)."""
    if system == "gcj02":
        return lng, lat
    if system == "wgs84":
        return wgs84_to_gcj02(lng, lat)
    raise ValueError(f"unknown coordinate system {system!r}")
