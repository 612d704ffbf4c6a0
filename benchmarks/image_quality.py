"""Measure the size and SSIM of JPEG and WebP qualities on photographs: how the pipeline's
``JPEG_QUALITY`` and ``WEBP_QUALITY`` were chosen.

    pip install -e '.[bench]'          # scikit-image: its bundled photographs and its SSIM
    python benchmarks/image_quality.py

SSIM is measured on the luminance against the original pixels, as each quality encodes them
with the pipeline's own settings (progressive, optimised JPEG; WebP method 4).
"""

from __future__ import annotations

import io
import statistics

import numpy as np
import skimage.data
from PIL import Image
from skimage.metrics import structural_similarity

from publisher.render.images import JPEG_QUALITY, WEBP_QUALITY

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
QUALITIES = (60, 70, 75, 80, 85, 90)


def measure(image: Image.Image, fmt: str, quality: int) -> tuple[float, int]:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=quality, progressive=True, optimize=True)
    else:
        image.save(out, "WEBP", quality=quality, method=4)
    original = np.asarray(image.convert("L"))
    decoded = np.asarray(Image.open(io.BytesIO(out.getvalue())).convert("L"))
    return float(structural_similarity(original, decoded)), len(out.getvalue())


def main() -> None:
    photos = [Image.fromarray(getattr(skimage.data, name)()).convert("RGB") for name in PHOTOS]
    print(f"{len(photos)} photographs ({', '.join(PHOTOS)}): mean SSIM and total KB")
    print(f"{'quality':>8} {'JPEG SSIM':>10} {'JPEG KB':>8} {'WebP SSIM':>10} {'WebP KB':>8}")
    for quality in sorted({*QUALITIES, JPEG_QUALITY, WEBP_QUALITY}):
        row = []
        for fmt in ("JPEG", "WEBP"):
            results = [measure(photo, fmt, quality) for photo in photos]
            row += [statistics.mean(r[0] for r in results), sum(r[1] for r in results) / 1024]
        marks = ("  <- JPEG_QUALITY" if quality == JPEG_QUALITY else "") + (
            "  <- WEBP_QUALITY" if quality == WEBP_QUALITY else ""
        )
        print(f"{quality:>8} {row[0]:>10.4f} {row[1]:>8.0f} {row[2]:>10.4f} {row[3]:>8.0f}{marks}")


if __name__ == "__main__":
    main()
