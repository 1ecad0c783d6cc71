"""Fake datasets in their real on-disk layouts, shared by the tests.

EuroSAT's class folders as torchvision's ``EuroSAT`` reads them
(``<root>/eurosat/2750/<folder>/<folder>_<i>.jpg``), and tiny real JPEGs.
"""

import io

from PIL import Image

EUROSAT_FOLDERS = [
    "AnnualCrop",
    "Forest",
    "HerbaceousVegetation",
    "Highway",
    "Industrial",
    "Pasture",
    "PermanentCrop",
    "Residential",
    "River",
    "SeaLake",
]
"""torchvision's EuroSAT class folders, in its (sorted) label order."""


def jpeg_bytes(value: int = 0) -> bytes:
    """An 8x8 JPEG whose red channel is ``value``."""
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (value % 256, 40, 200)).save(buf, format="JPEG")
    return buf.getvalue()


def write_jpeg(path, value: int = 0):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(jpeg_bytes(value))
