"""Synthetic phone photos, for the image tests and the image benchmark.

A phone stores the sensor's landscape pixels and an EXIF orientation that tells viewers to turn
them; it adds where (GPS) and with what (make, model) the photo was taken, often XMP too. These
photos do the same, with photographic noise so they do not compress to nothing, and a red band
across the top of the upright picture so a test can tell which way up a variant came out.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

#: EXIF tags.
ORIENTATION, MAKE, MODEL, GPS_IFD = 0x0112, 0x010F, 0x0110, 0x8825
#: Where the synthetic photos say they were taken (a secret a published image must not carry).
GPS = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="51,30.2N"/></rdf:RDF></x:xmpmeta>'
)


def upright_picture(width: int, height: int, seed: int = 1) -> Image.Image:
    """Return a noisy gradient, as the photo should be seen, with a red band across its top."""
    import random

    rng = random.Random(seed)
    gradient = Image.linear_gradient("L").resize((width, height))
    base = Image.merge("RGB", (gradient, gradient.rotate(90).resize((width, height)), gradient))
    noise = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    picture = Image.blend(base, noise, 0.12)
    picture.paste((220, 20, 20), (0, 0, width, max(1, height // 10)))
    return picture


def phone_photo(
    path: Path,
    width: int,
    height: int,
    orientation: int = 6,
    seed: int = 1,
    fmt: str = "JPEG",
) -> Path:
    """Write a photo whose upright picture is ``width`` × ``height``, stored turned as a phone
    stores it for ``orientation`` (6: the camera held upright, 1: as it is), with GPS, camera
    and XMP metadata and a comment."""
    upright = upright_picture(width, height, seed)
    # Orientation 6 says "turn 90° clockwise to show": the stored pixels are turned the other way.
    stored = upright.rotate(90, expand=True) if orientation == 6 else upright
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE], exif[MODEL] = "Phonemaker", "Phone 12 Pro"
    exif[GPS_IFD] = GPS
    out = io.BytesIO()
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    if fmt == "JPEG":
        stored.save(out, "JPEG", quality=92, exif=exif.tobytes(), xmp=XMP, comment=b"IMG_0042")
    else:
        stored.save(out, fmt, exif=exif.tobytes(), xmp=XMP)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())
    return path


def linear_profile() -> bytes:
    """Return an ICC v2 RGB profile with sRGB's primaries and linear (gamma 1.0) curves: a
    colour space that is not sRGB, so a converted mid grey comes out clearly lighter."""
    import struct

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ \0\0\0\0" + b"".join(struct.pack(">i", round(v * 65536)) for v in (x, y, z))

    name = b"Linear RGB (test)\0"
    tags = [
        (b"desc", b"desc\0\0\0\0" + struct.pack(">I", len(name)) + name + bytes(12 + 67)),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0100) + b"\0\0"),
    ]
    tags += [(b"gTRC", tags[-1][1]), (b"bTRC", tags[-1][1])]
    table, data = b"", b""
    offset = 128 + 4 + 12 * len(tags)
    for signature, body in tags:
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body + bytes(-len(body) % 4)
    size = offset + len(data)
    header = struct.pack(">I4sI4s4s4s12s4s4sI4s4sQI", size, b"lcms", 0x02100000, b"mntr",
        b"RGB ", b"XYZ ", bytes(12), b"acsp", b"APPL", 0, b"none", b"none", 0, 0)  # fmt: skip
    header += struct.pack(">iii", 63190, 65536, 54061) + b"lcms" + bytes(44)
    return header + struct.pack(">I", len(tags)) + table + data


def long_animation(path: Path, width: int, height: int, frames: int) -> Path:
    """Write a GIF of ``frames`` frames of ``width`` × ``height``: a plain first frame, then a
    small square that moves. Each later frame stores only the square (as a GIF may), so 250
    frames of 2000 × 2000 px take 17 KB and a few milliseconds: frame by frame, not through
    Pillow's encoder, which would hold every frame at full size."""
    from PIL import GifImagePlugin

    palette = [0, 90, 160, 230, 200, 40] + [0] * 762
    first = Image.new("P", (width, height), 0)
    square = Image.new("P", (16, 16), 1)
    for image in (first, square):
        image.putpalette(palette)
    header, _ = GifImagePlugin.getheader(first, info={"loop": 0})
    parts = [*header, *GifImagePlugin.getdata(first, duration=40)]
    for n in range(1, frames):
        where = ((n * 37) % (width - 16), (n * 53) % (height - 16))
        parts += GifImagePlugin.getdata(square, offset=where, duration=40)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(parts) + b";")
    return path
