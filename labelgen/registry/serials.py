"""Unit serials: random bits from `secrets` → unguessable upper-case Crockford base32 serials for GS1 AI 21."""

from __future__ import annotations

import secrets

# Crockford's base32: digits and upper-case letters without I, L, O and U, so a serial read
# aloud or typed from the pack cannot confuse 1/I/L or 0/O. Every character is in GS1's
# CSET 82 and in the QR alphanumeric set.
CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BITS_PER_CHAR = 5
SERIAL_RANDOM_BITS = 80
SERIAL_CHARS = SERIAL_RANDOM_BITS // BITS_PER_CHAR  # 16, within GS1's 20-character limit


def new_serial() -> str:
    """A fresh serial: 80 bits from the operating system's CSPRNG as 16 base32 characters.

    80 bits by default: guessing one live serial among a billion issued takes ~10^15 tries,
    and two draws collide (which the database's unique constraint catches) about once in 10^6
    batches of a billion.
    """
    return encode_crockford(secrets.randbits(SERIAL_RANDOM_BITS), SERIAL_CHARS)


def encode_crockford(number: int, chars: int) -> str:
    """`number` as exactly `chars` Crockford base32 digits, most significant first."""
    if number < 0 or number >= 1 << (chars * BITS_PER_CHAR):
        raise ValueError(f"{number} does not fit in {chars} base32 digits")
    digits = []
    for _ in range(chars):
        number, remainder = divmod(number, 1 << BITS_PER_CHAR)
        digits.append(CROCKFORD_ALPHABET[remainder])
    return "".join(reversed(digits))


def is_registry_serial(serial: str) -> bool:
    """True when `serial` has the form the registry hands out (before any database lookup)."""
    return len(serial) == SERIAL_CHARS and all(char in CROCKFORD_ALPHABET for char in serial)
