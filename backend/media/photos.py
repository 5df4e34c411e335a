"""Photo intake: verify an upload, read its EXIF time and place, keep only the pixels.

Phone photos carry the reporter's position, device and sometimes name in their metadata. A
case photo is shown to hubs, departments and, for public cases, to everyone, so no output keeps
any of it: renditions are re-encoded from pixels alone, and the original is too, except an
upright JPEG, which keeps its own compressed data with every metadata segment cut out
(jpeg_segments). The time and place are returned as data for the caller to keep with the
case, never inside a file.
"""

from __future__ import annotations

import hashlib
import math
import re
import struct
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from io import BytesIO
from zoneinfo import ZoneInfo

from PIL import ExifTags, Image, ImageFile, UnidentifiedImageError

from backend.media import jpeg_segments

FORMATS = ("JPEG", "PNG", "WEBP")
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
DISPLAY_SIDE = 1600
THUMBNAIL_SIDE = 320
ORIGINAL_QUALITY = 90
DISPLAY_QUALITY = 80
THUMBNAIL_QUALITY = 75
# Phones write EXIF times as local wall-clock time; ours are in China.
PHONE_ZONE = ZoneInfo("Asia/Shanghai")

# Recognised only to tell "a picture we do not take" from "not a picture at all".
_OTHER_IMAGE_PREFIXES = (
    b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*", b"\x00\x00\x01\x00",
    b"8BPS", b"\x00\x00\x00\x0cjP  ", b"\xff\x0a", b"\x00\x00\x00\x0cJXL ",
)
_OUR_PREFIXES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
_HEIF_BRANDS = {
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis",
}
# Pillow raises all of these for damaged files; none of them is a bug of ours.
_DAMAGED = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)
_TRANSPOSE = {  # EXIF Orientation -> what makes the picture upright, as in ImageOps.exif_transpose
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_ALPHA_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}
_EXIF_TIME = "%Y:%m:%d %H:%M:%S"
_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")
# warnings.catch_warnings swaps a process-wide filter list; two of our threads interleaving
# their enter/exit would leave our filters installed for good, so they take turns.
_warnings_lock = threading.Lock()


class PhotoRejected(Exception):
    """An upload that is not a photo we store; reason_code is for the API error body."""

    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message


@dataclass(frozen=True, slots=True)
class Processed:
    sha256: str
    width: int
    height: int
    format: str
    taken_at: datetime | None
    gps: tuple[float, float] | None  # (lat, lng), WGS-84 as the phone wrote it
    original: bytes = field(repr=False)
    display: bytes = field(repr=False)
    thumbnail: bytes = field(repr=False)

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]

    def variants(self) -> dict[str, tuple[str, bytes]]:
        """variant -> (file extension, bytes): what a PhotoStore key is made of."""
        return {
            "original": (self.extension, self.original),
            "display": ("jpg", self.display),
            "thumbnail": ("jpg", self.thumbnail),
        }


def ingest(data: bytes, *, max_pixels: int = 40_000_000) -> Processed:
    """Verify an upload and return its bare original, display size, thumbnail and EXIF data."""
    _verify(data, max_pixels)
    image = _open(data, max_pixels)
    fmt = "JPEG" if image.format == "MPO" else image.format
    if fmt == "JPEG" and (fast := _upright_jpeg(data, image, max_pixels)) is not None:
        return fast
    _load(image)  # before reading EXIF: PNG's getexif() loads, and would swallow the error
    exif = _exif(image)
    image = _upright(image, exif)
    original = _encode(_normalised(image, fmt), fmt, ORIGINAL_QUALITY)
    # The renditions reuse the pixels the original needed anyway: on a 12 MP phone JPEG a
    # second, draft decode for them (renditions() below) made the whole ingest ~20% slower.
    display, thumbnail = _renditions_from(image)
    return Processed(
        sha256=hashlib.sha256(original).hexdigest(),
        width=image.width,
        height=image.height,
        format=fmt,
        taken_at=taken_at(exif),
        gps=gps(exif),
        original=original,
        display=display,
        thumbnail=thumbnail,
    )


def _upright_jpeg(data: bytes, image: ImageFile.ImageFile, max_pixels: int) -> Processed | None:
    """The usual phone upload, an upright JPEG, kept as sent minus its metadata; else None.

    Re-encoding would cost a full decode and encode and a second generation of JPEG loss;
    only a picture needing no turn can be stored as its own entropy-coded data.
    """
    exif = _exif(image)  # read from the APP1 segment at open, before anything is decoded
    if exif.get(ExifTags.Base.Orientation) not in (None, 1):
        return None
    original = jpeg_segments.strip(data)
    if original is None:
        return None  # a structure the parser does not vouch for: the full path decides
    try:
        # Decoding what is stored, not the upload, proves the stripped file is whole.
        display, thumbnail = _draft_renditions(original, max_pixels)
    except PhotoRejected:
        return None  # the full path gives the same verdict as for any other upload
    return Processed(
        sha256=hashlib.sha256(original).hexdigest(),
        width=image.width,
        height=image.height,
        format="JPEG",
        taken_at=taken_at(exif),
        gps=gps(exif),
        original=original,
        display=display,
        thumbnail=thumbnail,
    )


def _draft_renditions(data: bytes, max_pixels: int) -> tuple[bytes, bytes]:
    """(display, thumbnail) of an upright JPEG, decoded at the smallest DCT scale that will do.

    The entropy decoder still reads every byte at a reduced scale, so a file cut short
    raises here as it does in a full decode (tested).
    """
    image = _open(data, max_pixels)
    image.draft("RGB", fit(image.size, DISPLAY_SIDE))
    _load(image)
    return _renditions_from(image)


def renditions(data: bytes, *, max_pixels: int = 40_000_000) -> tuple[bytes, bytes]:
    """(display, thumbnail) of a photo, decoding a JPEG only at the scale they need.

    For rebuilding renditions from a stored original without paying for a full decode.
    """
    _verify(data, max_pixels)
    image = _open(data, max_pixels)
    # The longest side is the same before and after rotation, so the fit can be asked
    # of the stored orientation; draft() picks the smallest DCT scale still at least this big.
    image.draft("RGB", fit(image.size, DISPLAY_SIDE))
    _load(image)
    return _renditions_from(_upright(image, _exif(image)))


def fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    """The size that fits within side x side keeping the aspect ratio; never enlarges."""
    width, height = size
    scale = side / max(width, height)
    if scale >= 1:
        return size
    return max(1, round(width * scale)), max(1, round(height * scale))


def _verify(data: bytes, max_pixels: int) -> None:
    if not data:
        raise PhotoRejected("empty", "The upload is empty.")
    image = _open(data, max_pixels)
    try:
        image.verify()
    except _DAMAGED as exc:
        raise PhotoRejected("truncated", "The image is damaged or cut short.") from exc


def _open(data: bytes, max_pixels: int) -> ImageFile.ImageFile:
    try:
        with _pillow_warnings():
            image = Image.open(BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_large() from exc
    except UnidentifiedImageError as exc:
        raise _unidentified(data) from exc
    except _DAMAGED as exc:
        raise PhotoRejected("truncated", "The image is damaged or cut short.") from exc
    _check_size(image.size, max_pixels)
    return image


@contextmanager
def _pillow_warnings() -> Iterator[None]:
    """Make the bomb warning an error; drop complaints about EXIF we throw away anyway."""
    with _warnings_lock, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def _check_size(size: tuple[int, int], max_pixels: int) -> None:
    # The real guard: the warning above depends on a global Pillow limit and on filters
    # another thread may be swapping, this does not. (Pillow itself refuses a zero side.)
    if size[0] * size[1] > max_pixels:
        raise _too_large()


def _too_large() -> PhotoRejected:
    return PhotoRejected("too_large", "The image has too many pixels.")


def _unidentified(data: bytes) -> PhotoRejected:
    head = data[:32]
    if head.startswith(_OUR_PREFIXES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return PhotoRejected("truncated", "The image is damaged or cut short.")
    heif = head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS
    if heif or head.startswith(_OTHER_IMAGE_PREFIXES):
        return PhotoRejected("unsupported_format", "Send a JPEG, PNG or WEBP photo.")
    return PhotoRejected("not_an_image", "The upload is not an image.")


def _load(image: Image.Image) -> None:
    try:
        image.load()
    except _DAMAGED as exc:
        raise PhotoRejected("truncated", "The image is damaged or cut short.") from exc


def _exif(image: Image.Image) -> Image.Exif:
    # Metadata is a bonus: a photo with broken EXIF is still a good photo.
    try:
        with _pillow_warnings():
            exif = image.getexif()
            exif.get_ifd(ExifTags.IFD.Exif)
            exif.get_ifd(ExifTags.IFD.GPSInfo)
    except _DAMAGED + (KeyError, TypeError):
        return Image.Exif()
    return exif


def _upright(image: Image.Image, exif: Image.Exif) -> Image.Image:
    # ImageOps.exif_transpose also rewrites the EXIF it leaves behind, and that raises on
    # damaged EXIF (found by fuzzing); ours is thrown away, so only Orientation matters.
    orientation = exif.get(ExifTags.Base.Orientation)
    method = _TRANSPOSE.get(orientation) if isinstance(orientation, int) else None
    return image if method is None else image.transpose(method)


def _renditions_from(image: Image.Image) -> tuple[bytes, bytes]:
    flat = _flattened(image)
    display = _shrunk(flat, DISPLAY_SIDE)
    thumbnail = _shrunk(display, THUMBNAIL_SIDE)
    return _encode(display, "JPEG", DISPLAY_QUALITY), _encode(thumbnail, "JPEG", THUMBNAIL_QUALITY)


def _shrunk(image: Image.Image, side: int) -> Image.Image:
    size = fit(image.size, side)
    if size == image.size:
        return image
    # reducing_gap=1 first averages whole pixel blocks, the cheap work JPEG draft decoding
    # does in the DCT, leaving LANCZOS less than a 2x step from a quarter of the pixels.
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=1.0)


def _normalised(image: Image.Image, fmt: str) -> Image.Image:
    if fmt == "JPEG":
        return _flattened(image)
    return _bare(_eight_bit(image).convert("RGBA" if _has_alpha(image) else "RGB"))


def _flattened(image: Image.Image) -> Image.Image:
    """RGB for JPEG output; transparent areas become white, as on a page, not black."""
    image = _eight_bit(image)
    if not _has_alpha(image):
        return _bare(image if image.mode == "RGB" else image.convert("RGB"))
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _eight_bit(image: Image.Image) -> Image.Image:
    # Pillow clips 16-bit greys to 255 when converting; scale them down instead.
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        return image.convert("I").point(lambda v: v * (1 / 257)).convert("L")
    if image.mode == "La":
        return image.convert("LA")
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in _ALPHA_MODES or "transparency" in image.info


def _bare(image: Image.Image) -> Image.Image:
    # save() falls back to image.info for ICC profiles, comments and transparency.
    image.info = {}
    return image


def _encode(image: Image.Image, fmt: str, quality: int) -> bytes:
    buffer = BytesIO()
    if fmt == "PNG":
        image.save(buffer, "PNG")
    else:
        image.save(buffer, fmt, quality=quality)
    return buffer.getvalue()


def taken_at(exif: Image.Exif) -> datetime | None:
    """DateTimeOriginal in UTC; local time without OffsetTimeOriginal is taken as China's."""
    tags = exif.get_ifd(ExifTags.IFD.Exif)
    try:
        local = datetime.strptime(_text(tags.get(ExifTags.Base.DateTimeOriginal)), _EXIF_TIME)
    except (TypeError, ValueError):
        return None
    zone = _offset(tags.get(ExifTags.Base.OffsetTimeOriginal)) or PHONE_ZONE
    return local.replace(tzinfo=zone).astimezone(UTC)


def _offset(value: object) -> tzinfo | None:
    match = _OFFSET.fullmatch(_text(value) or "")
    if match is None:
        return None
    sign = -1 if match[1] == "-" else 1
    try:
        return timezone(sign * timedelta(hours=int(match[2]), minutes=int(match[3])))
    except ValueError:
        return None


def gps(exif: Image.Exif) -> tuple[float, float] | None:
    """(lat, lng) from the GPS IFD, or None when absent or nonsense."""
    tags = exif.get_ifd(ExifTags.IFD.GPSInfo)
    tag = ExifTags.GPS
    lat = _coordinate(tags.get(tag.GPSLatitude), tags.get(tag.GPSLatitudeRef), "N", "S", 90)
    lng = _coordinate(tags.get(tag.GPSLongitude), tags.get(tag.GPSLongitudeRef), "E", "W", 180)
    # Phones without a fix write 0/0, which is the sea off Africa, not a place in the county.
    if lat is None or lng is None or (lat == 0 and lng == 0):
        return None
    return lat, lng


def _coordinate(
    value: object, ref: object, positive: str, negative: str, limit: float
) -> float | None:
    sign = {positive: 1, negative: -1}.get((_text(ref) or "").upper())
    degrees = _degrees(value)
    if sign is None or degrees is None or degrees > limit:
        return None
    return sign * degrees


def _degrees(value: object) -> float | None:
    """Degrees from EXIF's (degrees, minutes, seconds) rationals; some writers give fewer parts."""
    parts = value if isinstance(value, (tuple, list)) else (value,)
    try:
        numbers = [float(part) for part in parts]  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not 1 <= len(numbers) <= 3 or any(not math.isfinite(n) or n < 0 for n in numbers):
        return None
    if any(n > 60 for n in numbers[1:]):
        return None
    return sum(n / 60**i for i, n in enumerate(numbers))


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    return value.strip("\x00 ")
