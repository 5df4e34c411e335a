"""Lossless metadata removal from a JPEG: keep what decoding needs, drop every other segment.

Re-encoding a 12 MP photo costs a full decode and encode and a second generation of loss;
copying the marker segments that decode the picture and its entropy-coded data does not.
Anything this parser does not recognise makes it give up (None), never guess: the caller
then takes the slow path, which re-encodes from pixels.
"""

from __future__ import annotations

import re

EOI, SOS = 0xD9, 0xDA
# Segments the decoder needs: DHT, DAC, DQT, DNL, DRI, and the SOFn frame headers
# (0xC0-0xCF without DHT 0xC4, JPG 0xC8 and DAC 0xCC, which are not frames).
_TABLES = {0xC4, 0xCC, 0xDB, 0xDC, 0xDD}
_FRAMES = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# APPn kept, by their identifier: JFIF (density), ICC_PROFILE (colours) and Adobe, whose
# transform flag tells CMYK from YCCK. Everything else (Exif, XMP, IPTC, MPF, comments) goes.
_KEPT_APPS = {0xE0: b"JFIF\x00", 0xE2: b"ICC_PROFILE\x00", 0xEE: b"Adobe"}
_JFIF_WITHOUT_THUMBNAIL = 14  # identifier, version, units, densities; then thumbnail size + RGB
# Inside entropy-coded data 0xFF is followed by a stuffed 0x00 or is a restart marker RSTn;
# any other byte after it is the marker that ends the scan (0xFF itself: a fill byte before
# one). Written without "\xff+", which made the search over a 4 MB photo 15 times slower.
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def strip(data: bytes) -> bytes | None:
    """The JPEG without metadata segments, ending at its first EOI; None if it is not well formed."""
    if not data.startswith(b"\xff\xd8"):
        return None
    out, pos, frames, scans = [b"\xff\xd8"], 2, 0, 0
    while True:
        marker, pos = _next_marker(data, pos)
        if marker == EOI:
            # Trailing bytes (MPO's second picture, junk from apps) are not part of this one.
            return b"".join(out) + b"\xff\xd9" if frames == 1 and scans else None
        segment = None if marker is None else _segment(data, pos)
        if segment is None:
            return None
        pos += len(segment)
        if marker == SOS:
            end = _scan_end(data, pos)
            if frames != 1 or end is None:
                return None  # a scan before its frame, or no marker after it: cut short
            out += (segment, data[pos:end])
            pos, scans = end, scans + 1
            continue
        if marker in _FRAMES:
            frames += 1
        elif marker not in _TABLES:
            segment = _kept_app(marker, segment)
            if segment is None:
                return None
        out.append(segment)


def _scan_end(data: bytes, pos: int) -> int | None:
    """Where the entropy-coded data from pos ends: at the marker after it, or its fill bytes."""
    match = _SCAN_END.search(data, pos)
    if match is None:
        return None
    end = match.start()
    # Coded data never has 0xFF unstuffed, so 0xFF bytes right before the marker are fill.
    while end > pos and data[end - 1] == 0xFF:
        end -= 1
    return end


def _next_marker(data: bytes, pos: int) -> tuple[int | None, int]:
    """(marker byte, position of its 0xFF), skipping fill bytes; None if no marker is there."""
    if data[pos : pos + 1] != b"\xff":
        return None, pos
    while data[pos + 1 : pos + 2] == b"\xff":
        pos += 1
    marker = data[pos + 1 : pos + 2]
    return (marker[0] if marker else None), pos


def _segment(data: bytes, pos: int) -> bytes | None:
    """Marker and length-prefixed payload starting at pos, or None if it runs past the end."""
    if pos + 4 > len(data):
        return None
    length = int.from_bytes(data[pos + 2 : pos + 4], "big")
    if length < 2 or pos + 2 + length > len(data):
        return None
    return data[pos : pos + 2 + length]


def _kept_app(marker: int, segment: bytes) -> bytes | None:
    """The segment if kept, b"" if dropped, None for a marker that has no place here."""
    if not (0xE0 <= marker <= 0xEF or marker == 0xFE):
        return None  # SOI again, RSTn, TEM, JPGn, hierarchical or reserved: not a photo we know
    identifier = _KEPT_APPS.get(marker)
    if identifier is None or not segment[4:].startswith(identifier):
        return b""
    if marker == 0xE0 and len(segment) > 4 + _JFIF_WITHOUT_THUMBNAIL:
        # A JFIF thumbnail is a picture of its own that nothing here shows or checks.
        payload = segment[4 : 4 + _JFIF_WITHOUT_THUMBNAIL - 2] + b"\x00\x00"
        return b"\xff\xe0" + (len(payload) + 2).to_bytes(2, "big") + payload
    return segment
