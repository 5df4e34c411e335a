"""Photo pipeline on a 12 MP phone JPEG: a naive full decode against ingest()'s paths, same run.

    .venv/bin/python scripts/bench/photos.py [--repeat N]

(a) naive: full decode, ImageOps.exif_transpose, LANCZOS to display and thumbnail size, save.
(b) photos.renditions(): the same two renditions from a JPEG draft (DCT-scaled) decode.
(c) photos.ingest() on the portrait photo (EXIF orientation 6): the full path, which decodes,
    turns and re-encodes the original.
(d) photos.ingest() on the same photo upright (orientation 1, as wx.chooseMedia hands it over):
    the fast path, which keeps the original's own JPEG data minus its metadata segments and
    draft-decodes for the renditions. Compared with (a) run on that same upright file.
Not a test: the figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from io import BytesIO
from pathlib import Path

from PIL import ExifTags, Image, ImageChops, ImageDraw, ImageFilter, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without install

from backend.media import photos  # noqa: E402

SIZE = (4000, 3000)


def phone_jpeg(orientation: int) -> bytes:
    """Smooth light, some shapes and sensor noise, saved as a phone would: q92, EXIF."""
    light = Image.merge("RGB", (
        Image.linear_gradient("L").resize(SIZE),
        Image.linear_gradient("L").rotate(90).resize(SIZE),
        Image.radial_gradient("L").resize(SIZE),
    ))
    draw = ImageDraw.Draw(light)
    rng = random.Random(12)
    for _ in range(40):
        x, y = rng.randrange(SIZE[0]), rng.randrange(SIZE[1])
        box = (x, y, x + rng.randrange(100, 900), y + rng.randrange(100, 700))
        draw.rectangle(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    light = light.filter(ImageFilter.GaussianBlur(3))
    # Grain centred on 128 and softened a little, as a phone's denoiser leaves it: this is
    # what makes a 12 MP photo weigh megabytes, and what the entropy decoder has to chew.
    grain = Image.merge("RGB", [Image.effect_noise(SIZE, 22).filter(ImageFilter.GaussianBlur(0.7))
                                for _ in range(3)])
    picture = ImageChops.add(light, grain, offset=-128)
    buffer = BytesIO()
    picture.save(buffer, "JPEG", quality=92, exif=_phone_exif(orientation))
    return buffer.getvalue()


def _phone_exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "HUAWEI"
    exif[ExifTags.IFD.Exif] = {ExifTags.Base.DateTimeOriginal: "2025:03:14 09:26:53"}
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (37.0, 52.0, 12.5), 3: "E", 4: (112.0, 33.0, 1.0)}
    return exif


def naive(data: bytes) -> None:
    image = ImageOps.exif_transpose(Image.open(BytesIO(data)))
    for side, quality in ((photos.DISPLAY_SIDE, 80), (photos.THUMBNAIL_SIDE, 75)):
        small = image.resize(photos.fit(image.size, side), Image.Resampling.LANCZOS)
        small.save(BytesIO(), "JPEG", quality=quality)


def timings(turned: bytes, upright: bytes, repeat: int) -> dict[str, float]:
    """Median ms per path; the paths take turns so a busy neighbour slows them all alike."""
    paths = {
        "naive": (naive, turned),
        "renditions": (photos.renditions, turned),
        "ingest": (photos.ingest, turned),
        "naive upright": (naive, upright),
        "ingest upright": (photos.ingest, upright),
    }
    samples: dict[str, list[float]] = {name: [] for name in paths}
    for path, data in paths.values():
        path(data)  # warm up: imports, plugin init, first allocations
    for _ in range(repeat):
        for name, (path, data) in paths.items():
            start = time.perf_counter()
            path(data)
            samples[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    turned, upright = phone_jpeg(6), phone_jpeg(1)
    width, height = Image.open(BytesIO(turned)).size
    print(f"input: {width}x{height} JPEG, {len(turned) / 1e6:.1f} MB, EXIF orientation 6 "
          f"(and the same picture with orientation 1)")
    print(f"machine: {os.cpu_count()} cores, shared with everything else running here; "
          f"medians of {args.repeat} runs, they move with the load")
    ms = timings(turned, upright, args.repeat)
    print(f"(a) naive full decode + LANCZOS renditions   {ms['naive']:7.1f} ms  (orientation 6)")
    print(f"(a') the same, upright file                  {ms['naive upright']:7.1f} ms  (orientation 1)")
    print(f"(b) renditions(), draft decode               {ms['renditions']:7.1f} ms  (orientation 6)")
    print(f"(c) ingest(), full path: re-encoded original {ms['ingest']:7.1f} ms  (orientation 6)")
    print(f"(d) ingest(), fast path: lossless original   {ms['ingest upright']:7.1f} ms  (orientation 1)")
    print(f"naive / draft renditions               (a/b)   = "
          f"{ms['naive'] / ms['renditions']:.2f}x   (goal 3x)")
    print(f"naive / ingest full path, turned photo (a/c)   = {ms['naive'] / ms['ingest']:.2f}x")
    print(f"naive / ingest fast path, upright photo (a'/d) = "
          f"{ms['naive upright'] / ms['ingest upright']:.2f}x   (goal 3x)")


if __name__ == "__main__":
    main()
