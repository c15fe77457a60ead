"""A tiny MaxMind DB (MMDB format 2.0) written by hand for the tests: one IPv4 network -> one record.

Enough of the format to be read by the real ``maxminddb`` reader: a 24-bit search tree, the 16-byte data
separator, a data section of maps and strings, and the metadata map after its marker.
https://maxmind.github.io/MaxMind-DB/ describes the format.
"""

from __future__ import annotations

import ipaddress
import struct
from typing import Any


def _control(kind: int, size: int) -> bytes:
    if size >= 29:
        raise ValueError("only small values in this writer")
    if kind <= 7:
        return bytes([(kind << 5) | size])
    return bytes([size, kind - 7])  # extended type


class Uint:
    """An unsigned integer of a given MMDB type (5: uint16, 6: uint32, 9: uint64); libmaxminddb checks the
    types of the metadata's numbers."""

    def __init__(self, kind: int, value: int) -> None:
        self.kind, self.value = kind, value


def encode(value: Any) -> bytes:
    if isinstance(value, Uint):
        raw = value.value.to_bytes(8, "big").lstrip(b"\x00")
        return _control(value.kind, len(raw)) + raw
    if isinstance(value, bool):
        return _control(14, int(value))
    if isinstance(value, str):
        raw = value.encode()
        return _control(2, len(raw)) + raw
    if isinstance(value, int):
        raw = value.to_bytes(8, "big").lstrip(b"\x00")
        kind = 5 if value < 2**16 else 6 if value < 2**32 else 9
        return _control(kind, len(raw)) + raw
    if isinstance(value, dict):
        return _control(7, len(value)) + b"".join(encode(key) + encode(item) for key, item in value.items())
    if isinstance(value, list):
        return _control(11, len(value)) + b"".join(encode(item) for item in value)
    raise TypeError(type(value))


def build(network: str, record: dict[str, Any]) -> bytes:
    """An IPv4 database where ``network`` (e.g. "81.2.69.0/24") maps to ``record``, nothing else."""
    net = ipaddress.IPv4Network(network)
    bits = format(int(net.network_address), "032b")[: net.prefixlen]
    node_count = len(bits)
    data_pointer = node_count + 16  # + offset 0 in the data section
    tree = b""
    for depth, bit in enumerate(bits):
        onward = depth + 1 if depth + 1 < node_count else data_pointer
        left, right = (onward, node_count) if bit == "0" else (node_count, onward)
        tree += struct.pack(">I", left)[1:] + struct.pack(">I", right)[1:]
    metadata = {
        "node_count": Uint(6, node_count),
        "record_size": Uint(5, 24),
        "ip_version": Uint(5, 4),
        "database_type": "Portevoix-Test-Country",
        "languages": ["en"],
        "binary_format_major_version": Uint(5, 2),
        "binary_format_minor_version": Uint(5, 0),
        "build_epoch": Uint(9, 1_700_000_000),
        "description": {"en": "Test database"},
    }
    return tree + b"\x00" * 16 + encode(record) + b"\xab\xcd\xefMaxMind.com" + encode(metadata)
