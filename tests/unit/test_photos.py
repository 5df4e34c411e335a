"""Photo intake: what is refused, what is read from EXIF, and that nothing of EXIF survives."""
import hashlib
import random
import struct
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from io import BytesIO

import pytest
from PIL import ExifTags, Image, ImageDraw, ImageOps
from PIL.TiffImagePlugin import IFDRational

from backend.media import photos
from backend.media.photos import PhotoRejected, ingest

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


def encoded(image, fmt="JPEG", **params):
    buffer = BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def phone_exif(orientation=1, gps=None, taken=None, offset=None):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Huawei"
    if gps:
        exif[ExifTags.IFD.GPSInfo] = gps
    if taken:
        tags = {ExifTags.Base.DateTimeOriginal: taken}
        if offset:
            tags[ExifTags.Base.OffsetTimeOriginal] = offset
        exif[ExifTags.IFD.Exif] = tags
    return exif


def read_back(exif):
    """Pillow reads IFDs only from a file, so the tag tests go through one."""
    return Image.open(BytesIO(encoded(Image.new("RGB", (1, 1)), exif=exif))).getexif()


def marked(size=(60, 40)):
    """Blue with a red block in the top-left corner, to see where a rotation put it."""
    image = Image.new("RGB", size, BLUE)
    side = min(size) // 3
    ImageDraw.Draw(image).rectangle((0, 0, side - 1, side - 1), fill=RED)
    return image


def near(pixel, colour, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


def reopened(data):
    return Image.open(BytesIO(data))


TAIYUAN = {  # 37°52'12.5" N, 112°33'00" E
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (IFDRational(37, 1), IFDRational(52, 1), IFDRational(1250, 100)),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (IFDRational(112, 1), IFDRational(33, 1), IFDRational(0, 1)),
}


# Orientation and metadata


def test_orientation_6_is_applied_to_every_rendition():
    data = encoded(marked(), exif=phone_exif(orientation=6), quality=95)
    result = ingest(data)
    assert (result.width, result.height) == (40, 60)
    for rendition in (result.original, result.display):
        image = reopened(rendition).convert("RGB")
        assert image.size == (40, 60)
        # 90 degrees clockwise takes the stored top-left corner to the top right.
        assert near(image.getpixel((35, 5)), RED)
        assert near(image.getpixel((5, 5)), BLUE)
        assert near(image.getpixel((35, 55)), BLUE)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_is_turned_as_pillow_turns_it(orientation):
    data = encoded(marked((30, 20)), "PNG", exif=phone_exif(orientation=orientation))
    expected = ImageOps.exif_transpose(reopened(data)).convert("RGB")
    stored = reopened(ingest(data).original)
    assert stored.size == expected.size and stored.tobytes() == expected.tobytes()


def test_damaged_exif_is_dropped_and_the_photo_kept():
    # One IFD entry pointing the GPS directory far past the end of the data.
    ifd = struct.pack("<HHHII", 0x8825, 4, 1, 0xFFFFFF, 0)
    exif = b"Exif\x00\x00II*\x00" + struct.pack("<IH", 8, 1) + ifd
    result = ingest(encoded(marked(), exif=exif))
    assert result.gps is None and result.width == 60


def test_an_orientation_out_of_range_is_ignored():
    assert ingest(encoded(marked(), exif=phone_exif(orientation=9))).width == 60


def test_gps_is_read_and_no_rendition_keeps_any_metadata():
    exif = phone_exif(orientation=3, gps=TAIYUAN, taken="2024:05:01 08:30:00")
    data = encoded(marked(), exif=exif, xmp=b"<x:xmpmeta>GPS</x:xmpmeta>", comment=b"138 0013 8000",
                   icc_profile=b"not really a profile")
    result = ingest(data)
    lat, lng = result.gps
    assert lat == pytest.approx(37 + 52 / 60 + 12.5 / 3600)
    assert lng == pytest.approx(112.55)
    for variant, (_, rendition) in result.variants().items():
        image = reopened(rendition)
        assert len(image.getexif()) == 0, variant
        assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info), variant
        assert b"Huawei" not in rendition and b"xmpmeta" not in rendition, variant


@pytest.mark.parametrize("lat_ref, lng_ref, sign", [("S", "W", (-1, -1)), (b"N\x00", "e", (1, 1))])
def test_gps_references_give_the_hemisphere(lat_ref, lng_ref, sign):
    tags = {**TAIYUAN, ExifTags.GPS.GPSLatitudeRef: lat_ref, ExifTags.GPS.GPSLongitudeRef: lng_ref}
    lat, lng = photos.gps(read_back(phone_exif(gps=tags)))
    assert (lat * sign[0], lng * sign[1]) == pytest.approx((37.870139, 112.55))


@pytest.mark.parametrize("garbage", [
    {ExifTags.GPS.GPSLatitude: (IFDRational(37, 0), 1, 1)},       # zero denominator
    {ExifTags.GPS.GPSLatitudeRef: "X"},
    {ExifTags.GPS.GPSLatitudeRef: None},
    {ExifTags.GPS.GPSLatitude: (95, 0, 0)},                          # beyond the pole
    {ExifTags.GPS.GPSLatitude: (37, 75, 0)},                         # 75 minutes
    {ExifTags.GPS.GPSLatitude: None},
    {ExifTags.GPS.GPSLatitude: (1, 2, 3, 4)},
    {ExifTags.GPS.GPSLatitude: (0, 0, 0), ExifTags.GPS.GPSLongitude: (0, 0, 0)},  # no fix
])
def test_gps_garbage_is_ignored(garbage):
    tags = {key: value for key, value in {**TAIYUAN, **garbage}.items() if value is not None}
    assert photos.gps(read_back(phone_exif(gps=tags))) is None


def test_gps_in_decimal_degrees_is_accepted():
    tags = {**TAIYUAN, ExifTags.GPS.GPSLatitude: (IFDRational(378701, 10000),)}
    assert photos.gps(read_back(phone_exif(gps=tags)))[0] == pytest.approx(37.8701)


def test_no_exif_means_no_time_and_no_place():
    result = ingest(encoded(marked()))
    assert result.taken_at is None and result.gps is None


def test_taken_at_is_china_time_unless_an_offset_says_otherwise():
    shanghai = ingest(encoded(marked(), exif=phone_exif(taken="2024:05:01 08:30:00")))
    assert shanghai.taken_at == datetime(2024, 5, 1, 0, 30, tzinfo=timezone.utc)
    abroad_exif = phone_exif(taken="2024:05:01 08:30:00", offset="-05:00")
    abroad = ingest(encoded(marked(), exif=abroad_exif))
    assert abroad.taken_at == datetime(2024, 5, 1, 13, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("taken, offset", [
    ("0000:00:00 00:00:00", None), ("yesterday", None), ("    :  :     :  :  ", None),
])
def test_a_nonsense_time_is_ignored(taken, offset):
    assert photos.taken_at(read_back(phone_exif(taken=taken, offset=offset))) is None


def test_a_nonsense_offset_falls_back_to_china_time():
    exif = phone_exif(taken="2024:05:01 08:30:00", offset="+99:99")
    assert photos.taken_at(read_back(exif)) == datetime(2024, 5, 1, 0, 30, tzinfo=timezone.utc)


# Formats and modes


def test_png_with_alpha_keeps_it_in_the_original_and_goes_white_elsewhere():
    image = Image.new("RGBA", (50, 30), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((0, 0, 9, 9), fill=(255, 0, 0, 255))
    result = ingest(encoded(image, "PNG"))
    assert (result.format, result.extension) == ("PNG", "png")
    original = reopened(result.original)
    assert original.format == "PNG" and original.mode == "RGBA"
    assert original.getpixel((30, 20))[3] == 0
    display = reopened(result.display)
    assert display.format == "JPEG" and display.mode == "RGB"
    assert near(display.getpixel((30, 20)), WHITE) and near(display.getpixel((4, 4)), RED)


def test_webp_stays_webp():
    result = ingest(encoded(marked(), "WEBP", exif=phone_exif(gps=TAIYUAN)))
    assert result.format == "WEBP" and result.gps is not None
    original = reopened(result.original)
    assert original.format == "WEBP" and "exif" not in original.info
    assert reopened(result.thumbnail).format == "JPEG"


@pytest.mark.parametrize("image, fmt, mode", [
    (Image.new("CMYK", (20, 10), (0, 255, 255, 0)), "JPEG", "RGB"),
    (Image.new("L", (20, 10), 128), "JPEG", "RGB"),
    (Image.new("P", (20, 10), 3), "PNG", "RGB"),
    (Image.new("LA", (20, 10), (128, 100)), "PNG", "RGBA"),
    (Image.new("1", (20, 10), 1), "PNG", "RGB"),
])
def test_modes_become_rgb_or_rgba(image, fmt, mode):
    result = ingest(encoded(image, fmt))
    assert reopened(result.original).mode == mode
    assert reopened(result.display).mode == "RGB"


def test_a_palette_png_with_a_transparent_colour_keeps_its_transparency():
    image = Image.new("P", (20, 10), 0)
    image.putpalette([255, 0, 0, 0, 0, 255])
    image.putpixel((0, 0), 1)
    original = reopened(ingest(encoded(image, "PNG", transparency=0)).original)
    assert original.mode == "RGBA"
    assert original.getpixel((5, 5))[3] == 0 and original.getpixel((0, 0)) == (0, 0, 255, 255)


def test_sixteen_bit_grey_is_scaled_not_clipped():
    image = Image.new("I;16", (20, 10), 32768)
    pixel = reopened(ingest(encoded(image, "PNG")).original).getpixel((5, 5))
    assert pixel == pytest.approx((127, 127, 127), abs=2)


def test_a_multi_picture_jpeg_is_stored_as_its_first_picture():
    second = Image.new("RGB", (60, 40), WHITE)
    result = ingest(encoded(marked(), "MPO", save_all=True, append_images=[second]))
    assert result.format == "JPEG"
    assert near(reopened(result.original).getpixel((5, 5)), RED)


# Refusals


@pytest.mark.parametrize("data, code", [
    (b"", "empty"),
    ("投诉：路灯不亮".encode(), "not_an_image"),
    (b"%PDF-1.7\n", "not_an_image"),
    (b"\x89PNG\r\n\x1a\n", "truncated"),
])
def test_what_is_not_a_photo_is_refused(data, code):
    with pytest.raises(PhotoRejected) as refused:
        ingest(data)
    assert refused.value.reason_code == code


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_unsupported(fmt):
    with pytest.raises(PhotoRejected) as refused:
        ingest(encoded(marked(), fmt))
    assert refused.value.reason_code == "unsupported_format"


def test_heic_is_unsupported():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
    with pytest.raises(PhotoRejected) as refused:
        ingest(heic)
    assert refused.value.reason_code == "unsupported_format"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_truncated_image_is_refused(fmt):
    data = encoded(Image.effect_noise((200, 200), 60).convert("RGB"), fmt)
    with pytest.raises(PhotoRejected) as refused:
        ingest(data[: len(data) // 2])
    assert refused.value.reason_code == "truncated"


def tiny_png_declaring(width, height):
    """A few dozen bytes whose header claims width x height: a bomb needs no more to be opened."""
    data = bytearray(encoded(Image.new("1", (1, 1)), "PNG"))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


@pytest.mark.parametrize("size", [(20000, 20000), (10000, 10000), (7000, 7000)])
def test_decompression_bombs_are_refused(size):
    # 400 MP is past Pillow's own error, 100 MP past its warning, 49 MP past ours.
    bomb = tiny_png_declaring(*size)
    assert len(bomb) < 100
    with pytest.raises(PhotoRejected) as refused:
        ingest(bomb)
    assert refused.value.reason_code == "too_large"


def test_pillows_bomb_warning_refuses_even_where_warnings_are_ignored():
    before = list(warnings.filters)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(PhotoRejected) as refused:
            ingest(tiny_png_declaring(10000, 10000), max_pixels=150_000_000)
    assert refused.value.reason_code == "too_large"
    assert warnings.filters == before


def test_concurrent_ingests_agree_and_leave_the_warning_filters_alone():
    data = encoded(marked((400, 300)), exif=phone_exif(orientation=6, gps=TAIYUAN))
    bomb = tiny_png_declaring(10000, 10000)
    before = list(warnings.filters)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: _outcome(bomb if i % 2 else data), range(32)))
    assert set(results[1::2]) == {"too_large"}
    assert len(set(results[::2])) == 1
    assert warnings.filters == before


def _outcome(data):
    try:
        return ingest(data, max_pixels=150_000_000).sha256
    except PhotoRejected as refused:
        return refused.reason_code


def test_max_pixels_is_the_callers():
    data = encoded(marked((200, 100)))
    assert ingest(data, max_pixels=20_000).width == 200
    with pytest.raises(PhotoRejected) as refused:
        ingest(data, max_pixels=19_999)
    assert refused.value.reason_code == "too_large"


@pytest.mark.parametrize("size", [(0, 10), (10, 0)])
def test_a_picture_without_pixels_is_damaged(size):
    # "empty" is for an empty upload; a header declaring a zero side is a broken file.
    with pytest.raises(PhotoRejected) as refused:
        ingest(tiny_png_declaring(*size))
    assert refused.value.reason_code == "truncated"


def test_damaged_files_are_refused_or_accepted_but_never_crash():
    rng = random.Random(3)
    sources = [encoded(marked(), fmt, exif=phone_exif(gps=TAIYUAN, taken="2024:05:01 08:30:00"))
               for fmt in ("JPEG", "PNG", "WEBP")]
    for _ in range(300):
        data = bytearray(rng.choice(sources))
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            ingest(bytes(data))
        except PhotoRejected:
            pass


# Output


def test_the_same_upload_gives_the_same_key():
    data = encoded(marked(), exif=phone_exif(orientation=6, gps=TAIYUAN))
    first, second = ingest(data), ingest(data)
    assert first.sha256 == second.sha256 == hashlib.sha256(first.original).hexdigest()
    assert first.original == second.original


def test_the_same_picture_with_other_metadata_gives_the_same_key():
    # The key names the pixels: a copy that gained or lost metadata on the way is one photo.
    plain = ingest(encoded(marked(), quality=95))
    tagged = ingest(encoded(marked(), quality=95, exif=phone_exif(gps=TAIYUAN), comment=b"x"))
    assert plain.sha256 == tagged.sha256


@pytest.mark.parametrize("size, display, thumbnail", [
    ((4000, 2000), (1600, 800), (320, 160)),
    ((1000, 3000), (533, 1600), (107, 320)),
    ((800, 600), (800, 600), (320, 240)),
    ((200, 100), (200, 100), (200, 100)),
])
def test_rendition_sizes(size, display, thumbnail):
    result = ingest(encoded(Image.new("RGB", size, BLUE)))
    assert (result.width, result.height) == size
    assert reopened(result.original).size == size
    assert reopened(result.display).size == display
    assert reopened(result.thumbnail).size == thumbnail


def test_the_draft_path_makes_the_same_sizes_and_applies_orientation():
    data = encoded(marked((4000, 3000)), exif=phone_exif(orientation=6))
    display, thumbnail = photos.renditions(data)
    assert reopened(display).size == (1200, 1600)
    assert reopened(thumbnail).size == (240, 320)
    assert near(reopened(display).getpixel((1195, 5)), RED)
    assert len(reopened(display).getexif()) == 0


def test_processed_does_not_print_its_bytes():
    assert "original=" not in repr(ingest(encoded(marked())))
