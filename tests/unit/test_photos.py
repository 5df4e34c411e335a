"""Photo intake: what is refused, what is read from EXIF, and that nothing of EXIF survives."""
import hashlib
import random
import struct
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from io import BytesIO

import pytest
from PIL import ExifTags, Image, ImageDraw, ImageOps
from PIL.TiffImagePlugin import IFDRational

from backend.media import jpeg_segments, photos
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
    assert shanghai.taken_at == datetime(2024, 5, 1, 0, 30, tzinfo=UTC)
    abroad_exif = phone_exif(taken="2024:05:01 08:30:00", offset="-05:00")
    abroad = ingest(encoded(marked(), exif=abroad_exif))
    assert abroad.taken_at == datetime(2024, 5, 1, 13, 30, tzinfo=UTC)


@pytest.mark.parametrize("taken, offset", [
    ("0000:00:00 00:00:00", None), ("yesterday", None), ("    :  :     :  :  ", None),
])
def test_a_nonsense_time_is_ignored(taken, offset):
    assert photos.taken_at(read_back(phone_exif(taken=taken, offset=offset))) is None


def test_a_nonsense_offset_falls_back_to_china_time():
    exif = phone_exif(taken="2024:05:01 08:30:00", offset="+99:99")
    assert photos.taken_at(read_back(exif)) == datetime(2024, 5, 1, 0, 30, tzinfo=UTC)


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
    # An upright JPEG's original is its own data, so it keeps its mode; only renditions are RGB.
    (Image.new("CMYK", (20, 10), (0, 255, 255, 0)), "JPEG", "CMYK"),
    (Image.new("L", (20, 10), 128), "JPEG", "L"),
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


# Upright JPEGs: the original is the upload's own data without its metadata segments


def jpeg_segments_of(data):
    """(marker, payload) of every segment, entropy-coded data skipped; written apart from the
    parser under test so that a shared mistake does not pass unseen."""
    assert data[:2] == b"\xff\xd8"
    found, pos = [(0xD8, b"")], 2
    while True:
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        if marker == 0xD9:
            assert pos + 2 == len(data)  # nothing after EOI
            return found + [(0xD9, b"")]
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        found.append((marker, data[pos + 4:pos + 2 + length]))
        pos += 2 + length
        while marker == 0xDA and not (data[pos] == 0xFF and data[pos + 1] not in (0, *range(0xD0, 0xD8))):
            pos += 1


def identifiers(data):
    return [(marker, payload[:5]) for marker, payload in jpeg_segments_of(data)
            if 0xE0 <= marker <= 0xEF or marker == 0xFE]


def pixels(data):
    return reopened(data).tobytes()


def noisy(size=(96, 64), mode="RGB"):
    return Image.effect_noise(size, 50).convert(mode)


ALL_METADATA = dict(exif=phone_exif(gps=TAIYUAN, taken="2024:05:01 08:30:00"),
                    xmp=b"<x:xmpmeta>GPS</x:xmpmeta>", comment=b"138 0013 8000")


def test_an_upright_jpeg_keeps_its_pixels_exactly_and_loses_its_metadata():
    data = encoded(noisy(), quality=92, **ALL_METADATA)
    result = ingest(data)
    assert pixels(result.original) == pixels(data)  # not re-encoded: not a pixel changed
    assert identifiers(result.original) == [(0xE0, b"JFIF\x00")]
    stored = reopened(result.original)
    assert "exif" not in stored.info and "xmp" not in stored.info and "comment" not in stored.info
    assert len(stored.getexif()) == 0
    assert b"Huawei" not in result.original and b"xmpmeta" not in result.original
    assert result.sha256 == hashlib.sha256(result.original).hexdigest()
    # The time and place were read before the segments holding them were cut.
    assert result.taken_at == datetime(2024, 5, 1, 0, 30, tzinfo=UTC)
    assert result.gps == pytest.approx((37 + 52 / 60 + 12.5 / 3600, 112.55))


@pytest.mark.parametrize("orientation", [None, 1])
def test_orientation_1_or_none_takes_the_lossless_path(orientation):
    exif = phone_exif() if orientation else None
    if exif is None:
        data = encoded(noisy(), quality=92)
    else:
        data = encoded(noisy(), quality=92, exif=exif)
    assert pixels(ingest(data).original) == pixels(data)


def test_a_turned_jpeg_is_still_re_encoded():
    data = encoded(noisy(), quality=92, exif=phone_exif(orientation=6))
    result = ingest(data)
    assert reopened(result.original).size == (64, 96)
    assert identifiers(result.original) == [(0xE0, b"JFIF\x00")]


def test_iptc_other_app_segments_and_a_jfif_thumbnail_are_dropped():
    data = encoded(noisy(), quality=92)
    iptc = b"\xff\xed" + (2 + 22).to_bytes(2, "big") + b"Photoshop 3.0\x008BIM\x04\x04\x00\x00"
    app3 = b"\xff\xe3\x00\x08Meta\x00\x00"
    jfxx = b"\xff\xe0\x00\x0aJFXX\x00\x10\x00\x00"
    # A JFIF header with a 1x1 RGB thumbnail: 14 bytes of header, 3 of picture.
    jfif = b"\xff\xe0\x00\x13JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x01\x01\xff\x00\x00"
    data = b"\xff\xd8" + jfif + iptc + app3 + jfxx + data[20:]  # data[2:20] is Pillow's JFIF
    result = ingest(data)
    assert pixels(result.original) == pixels(data)
    segments = jpeg_segments_of(result.original)
    assert [m for m, _ in segments if 0xE0 <= m <= 0xEF] == [0xE0]
    assert segments[1][1] == b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"  # no thumbnail


def test_cmyk_keeps_its_adobe_segment_and_icc_profile():
    icc = b"\x00" * 128  # kept as bytes; the decoder does not read it
    data = encoded(Image.new("CMYK", (40, 20), (0, 255, 255, 0)), quality=95, icc_profile=icc,
                   exif=phone_exif(gps=TAIYUAN))
    result = ingest(data)
    assert pixels(result.original) == pixels(data)
    assert (0xEE, b"Adobe") in identifiers(result.original)
    assert reopened(result.original).info["icc_profile"] == icc
    assert near(reopened(result.display).getpixel((5, 5)), RED)


@pytest.mark.parametrize("params", [{"progressive": True}, {"restart_marker_blocks": 2},
                                    {"subsampling": 0}])
def test_progressive_restart_and_unsubsampled_jpegs_survive_losslessly(params):
    data = encoded(noisy((200, 120)), quality=90, exif=phone_exif(gps=TAIYUAN), **params)
    result = ingest(data)
    assert pixels(result.original) == pixels(data)
    assert result.gps is not None and "exif" not in reopened(result.original).info


def test_fill_bytes_are_skipped_and_what_follows_eoi_is_left_out():
    plain = encoded(noisy(), quality=92)
    padded = plain[:20] + b"\xff\xff\xff" + plain[20:-2] + b"\xff\xff\xff\xd9" + b"junk after EOI"
    assert jpeg_segments.strip(padded) == jpeg_segments.strip(plain) == plain
    assert ingest(padded).original == plain


def test_metadata_alone_does_not_change_the_stored_bytes():
    picture = noisy()
    bare, tagged = encoded(picture, quality=92), encoded(picture, quality=92, **ALL_METADATA)
    assert ingest(bare).original == ingest(tagged).original == bare


def test_a_draft_decode_of_a_cut_short_jpeg_still_raises():
    data = encoded(noisy((400, 300)), quality=92)
    for cut in (len(data) // 3, len(data) - 200, len(data) - 2):
        with pytest.raises(PhotoRejected) as refused:
            photos._draft_renditions(data[:cut], 40_000_000)
        assert refused.value.reason_code == "truncated"
        with pytest.raises(PhotoRejected) as refused:
            ingest(data[:cut])
        assert refused.value.reason_code == "truncated"


def test_a_bomb_jpeg_is_refused_from_its_header():
    data = bytearray(encoded(Image.new("RGB", (8, 8)), exif=phone_exif()))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", 8000, 8000)  # 64 MP: past ours, under Pillow's
    with pytest.raises(PhotoRejected) as refused:
        ingest(bytes(data))
    assert refused.value.reason_code == "too_large"


@pytest.mark.parametrize("damage", [
    lambda d: d[:-2],                                   # no EOI
    lambda d: d[:2] + b"\xff\xe1\xff\xff" + d[2:],      # a segment longer than the file
    lambda d: d[:2] + b"\x00\x00" + d[2:],              # bytes where a marker should be
    lambda d: d[:2] + b"\xff\xd0" + d[2:],              # a restart marker outside a scan
    lambda d: d[:2] + b"\xff\xe1\x00\x01" + d[2:],      # a length shorter than itself
    lambda d: d[:-2] + d[d.index(b"\xff\xc0"):d.index(b"\xff\xc4")] + b"\xff\xd9",  # 2nd frame
    lambda d: b"\xff\xd8\xff\xd9",                      # no frame, no scan
])
def test_the_parser_gives_up_on_what_it_does_not_know(damage):
    assert jpeg_segments.strip(damage(encoded(noisy()))) is None


def test_what_the_parser_gives_up_on_goes_the_full_way():
    data = encoded(noisy(), quality=92, exif=phone_exif(gps=TAIYUAN))
    sos = data.index(b"\xff\xda")
    odd = data[:sos] + b"\x00\x00" + data[sos:]  # libjpeg skips stray bytes; the parser does not
    assert jpeg_segments.strip(odd) is None
    result = ingest(odd)
    assert result.gps is not None and len(reopened(result.original).getexif()) == 0
    assert identifiers(result.original) == [(0xE0, b"JFIF\x00")]


def test_the_lossless_path_makes_the_same_rendition_sizes():
    result = ingest(encoded(Image.new("RGB", (4000, 3000), BLUE), exif=phone_exif()))
    assert (result.width, result.height) == (4000, 3000)
    assert reopened(result.display).size == (1600, 1200)
    assert reopened(result.thumbnail).size == (320, 240)
    assert len(reopened(result.display).getexif()) == 0
