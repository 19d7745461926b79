"""PNG files from 8-bit pixel arrays with the standard library (zlib, struct): what ``save_image`` and
TensorBoard's ``add_image`` write, with no Pillow needed."""
import struct
import zlib

import numpy

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_COLOR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}     # channels: grey, grey + alpha, RGB, RGBA


def encode_png(pixels):
    """A PNG file of 8-bit pixels (H, W, C), C from 1 (grey) to 4 (RGBA): one unfiltered IDAT."""
    height, width, channels = pixels.shape
    if channels not in _PNG_COLOR_TYPES:
        raise TypeError(f"Cannot handle this data type: images of {channels} channels; PNG holds 1 to 4")
    rows = numpy.ascontiguousarray(pixels).reshape(height, width * channels)
    scanlines = numpy.concatenate([numpy.zeros((height, 1), numpy.uint8), rows], axis=1)   # filter 0 per row
    header = struct.pack(">IIBBBBB", width, height, 8, _PNG_COLOR_TYPES[channels], 0, 0, 0)
    return (_PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(scanlines.tobytes()))
            + _chunk(b"IEND", b""))


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
