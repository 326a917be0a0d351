"""Checkpoints — điểm kiểm tra: the signed tree heads of the event log, as text that leaves the building.

A checkpoint states "the log of ``origin`` had ``size`` events and this Merkle root (RFC 9162) at
``time``". It is written in the C2SP formats so that standard tooling (Go's
``golang.org/x/mod/sumdb/note``, the transparency-dev libraries) can read and verify it:

* **tlog-checkpoint** (c2sp.org/tlog-checkpoint) — the body: the origin line, the tree size in
  decimal (no leading zeros), the root hash in standard padded base64, then optional extension lines;
  every line ends with ``\\n``::

      benefits-ledger/75
      1234
      47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
      time 2026-12-01T10:00:00Z

  The origin is ``benefits-ledger/<ledger id>``, the ledger id being the deployment's province code
  (:func:`origin_for`). Our one extension line, ``time <UTC, ISO 8601 to the second, Z>``, records
  when the checkpoint was made; the caller gives the time (the domain reads no clock). It is the first
  extension line; other extension lines are kept as they are (the format says they are opaque). The
  time is covered by the signature, but, like any extension line, no log monitor can audit it: it says
  when the ledger claims to have made the checkpoint, not a proof of it.
* **signed-note** (c2sp.org/signed-note) — the body, a blank line, then one line per signature
  ``— <key name> <base64(key hash (4 bytes) ‖ signature)>`` (em dash U+2014). For Ed25519 the key hash
  is the first 4 bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key). The key name of the
  ledger's key is its origin.
* **verifier key** (Go's ``note`` vkey) — ``<name>+<hex key hash>+<base64(0x01 ‖ public key)>``: the
  one line an inspector needs to verify checkpoints, e.g.
  ``PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW``.

This module only writes and reads these texts; the Ed25519 arithmetic is in :mod:`ledger.signing` (the
domain stays pure). Every malformed text is refused with :class:`~domain.errors.InvalidInput` naming
the reason: a text that left the building may come back altered, truncated or re-encoded by a mailer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from domain.errors import InvalidInput

ORIGIN_PREFIX = "benefits-ledger/"
ED25519 = 0x01  # the signed-note signature type of Ed25519
PUBLIC_KEY_SIZE = 32  # an Ed25519 public key (and private seed), RFC 8032
HASH_SIZE = 32  # a SHA-256 Merkle root
KEY_HASH_SIZE = 4
MAX_NOTE_BYTES = 16 * 1024  # a checkpoint with a few signatures is well under 1 KiB
MAX_SIGNATURES = 100  # the format asks verifiers to accept at least 16
MAX_TREE_SIZE = 2**63 - 1
EM_DASH = "\u2014"
SIGNATURE_PREFIX = EM_DASH + " "
TIME_EXTENSION = "time "
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

_SIZE_RE = re.compile(r"0|[1-9][0-9]*", re.ASCII)
_TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", re.ASCII)
_HEX8_RE = re.compile(r"[0-9a-fA-F]{8}", re.ASCII)


class NoteSignature(NamedTuple):
    """One signature line of a signed note: the key's name, its 4-byte key hash, the signature bytes."""

    name: str
    key_hash: bytes
    signature: bytes


# ------------------------------------------------------------------------------------------ checkpoint


@dataclass(frozen=True)
class Checkpoint:
    """The head of the event log's Merkle tree at ``size`` events, as of ``time`` (UTC, to the second).

    ``time`` may be ``None`` only for checkpoints made elsewhere (no ``time`` line); the ledger always
    gives one. A time with another offset is converted to UTC and cut to the second; a naive time is
    refused (it says nothing about where it was read).
    """

    origin: str
    size: int
    root_hash: bytes
    time: datetime | None
    extensions: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        _check_origin(self.origin)
        if (
            isinstance(self.size, bool)
            or not isinstance(self.size, int)
            or not 0 <= self.size <= MAX_TREE_SIZE
        ):
            raise InvalidInput("size", f"must be a whole number from 0 to 2^63-1, got {self.size!r}")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise InvalidInput("root_hash", f"must be {HASH_SIZE} bytes (a SHA-256 hash)")
        if self.time is not None:
            offset = self.time.utcoffset()
            if offset is None:
                raise InvalidInput("time", "must say its time zone (a naive time is refused)")
            try:
                utc = self.time.astimezone(UTC).replace(microsecond=0)
            except OverflowError:
                raise InvalidInput("time", "is out of range once converted to UTC") from None
            object.__setattr__(self, "time", utc)
        for line in self.extensions:
            _check_line(line, "extensions")
            if line.startswith(TIME_EXTENSION):
                raise InvalidInput("extensions", "the time goes in `time`, not in an extension line")

    def body(self) -> str:
        """The C2SP tlog-checkpoint text: origin, size, base64 root hash, ``time …``, extensions."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode("ascii")]
        if self.time is not None:
            lines.append(TIME_EXTENSION + format_time(self.time))
        lines.extend(self.extensions)
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read a checkpoint body (the text :meth:`body` writes) or raise :class:`InvalidInput`."""
        _check_text(text, "checkpoint")
        if not text.endswith("\n"):
            raise InvalidInput("checkpoint", "must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise InvalidInput("checkpoint", "must have at least 3 lines: origin, tree size, root hash")
        for number, line in enumerate(lines, start=1):
            if not line:
                raise InvalidInput("checkpoint", f"line {number} is empty")
        origin, size_text, hash_text, *rest = lines
        if not _SIZE_RE.fullmatch(size_text):
            raise InvalidInput("checkpoint", f"line 2 must be the tree size in decimal, got {size_text!r}")
        size = int(size_text)
        if size > MAX_TREE_SIZE:
            raise InvalidInput("checkpoint", "line 2: the tree size is too large")
        root_hash = _decode_base64(hash_text, "checkpoint", "line 3 (root hash)")
        if len(root_hash) != HASH_SIZE:
            raise InvalidInput("checkpoint", f"line 3: the root hash must be {HASH_SIZE} bytes")
        time: datetime | None = None
        if rest and rest[0].startswith(TIME_EXTENSION):
            time = _parse_time(rest[0].removeprefix(TIME_EXTENSION))
            rest = rest[1:]
        if any(line.startswith(TIME_EXTENSION) for line in rest):
            raise InvalidInput("checkpoint", "the `time` line must be the first extension line, and only one")
        return cls(origin, size, root_hash, time, tuple(rest))


def format_time(time: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` of a UTC time (4-digit year even before 1000, unlike ``strftime``)."""
    t = time.astimezone(UTC)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}Z"


def origin_for(ledger_id: str) -> str:
    """The origin (and key name) of a deployment's log: ``benefits-ledger/<ledger id>``."""
    origin = ORIGIN_PREFIX + ledger_id
    if not ledger_id or not is_valid_key_name(origin):
        raise InvalidInput("ledger_id", f"must be non-empty, without spaces or '+', got {ledger_id!r}")
    return origin


def _parse_time(value: str) -> datetime:
    if not _TIME_RE.fullmatch(value):
        raise InvalidInput("checkpoint", f"the time must be written YYYY-MM-DDTHH:MM:SSZ, got {value!r}")
    try:
        return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput("checkpoint", f"the time is not a real date and time: {value!r}") from None


def _check_origin(origin: str) -> None:
    if not isinstance(origin, str) or not origin:
        raise InvalidInput("origin", "must be a non-empty line of text")
    _check_line(origin, "origin")


def _check_line(line: str, field_name: str) -> None:
    if not line:
        raise InvalidInput(field_name, "must not be an empty line")
    _check_text(line, field_name)
    if "\n" in line:
        raise InvalidInput(field_name, "must be one line")


# ----------------------------------------------------------------------------------------------- keys


def is_valid_key_name(name: str) -> bool:
    """A key name is non-empty and has no Unicode space, no '+' and no control character."""
    return (
        bool(name)
        and "+" not in name
        and not any(ch.isspace() or ord(ch) < 0x20 or 0xD800 <= ord(ch) <= 0xDFFF for ch in name)
    )


def key_hash(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID of an Ed25519 key: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]."""
    _check_key(name, public_key)
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:KEY_HASH_SIZE]


def verifier_key_text(name: str, public_key: bytes) -> str:
    """The verifier key line ``<name>+<hex key hash>+<base64(0x01 ‖ public key)>`` for inspectors."""
    encoded = base64.b64encode(bytes([ED25519]) + public_key).decode("ascii")
    return f"{name}+{key_hash(name, public_key).hex()}+{encoded}"


def parse_verifier_key(text: str) -> tuple[str, bytes, bytes]:
    """Read a verifier key line into (name, key hash, 32-byte public key), or raise :class:`InvalidInput`.

    Spaces around the line (a copy from a printout or an e-mail) are ignored.
    """
    where = "verifier_key"
    if not isinstance(text, str) or len(text) > 1024:
        raise InvalidInput(where, "must be a line <name>+<key hash>+<key>")
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise InvalidInput(where, "must be written <name>+<8 hex digits>+<base64 key>")
    name, hash_hex, key64 = parts
    if not is_valid_key_name(name):
        raise InvalidInput(where, f"the key name {name!r} is empty or has a space or control character")
    if not _HEX8_RE.fullmatch(hash_hex):
        raise InvalidInput(where, f"the key hash must be 8 hex digits, got {hash_hex!r}")
    data = _decode_base64(key64, where, "the key")
    if not data:
        raise InvalidInput(where, "the key is empty")
    if data[0] != ED25519:
        raise InvalidInput(where, f"unknown key type 0x{data[0]:02x} (only Ed25519, 0x01, is known)")
    public_key = data[1:]
    if len(public_key) != PUBLIC_KEY_SIZE:
        raise InvalidInput(where, f"an Ed25519 key is {PUBLIC_KEY_SIZE} bytes, this one {len(public_key)}")
    expected = key_hash(name, public_key)
    if bytes.fromhex(hash_hex) != expected:
        raise InvalidInput(
            where, f"the key hash {hash_hex} does not match the key ({expected.hex()}): mistyped?"
        )
    return name, expected, public_key


def _check_key(name: str, public_key: bytes) -> None:
    if not isinstance(name, str) or not is_valid_key_name(name):
        raise InvalidInput(
            "key_name", f"must be non-empty, without spaces, '+' or control characters: {name!r}"
        )
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_SIZE:
        raise InvalidInput("public_key", f"an Ed25519 public key is {PUBLIC_KEY_SIZE} bytes")


# ---------------------------------------------------------------------------------------- signed note


def signature_line(name: str, public_key: bytes, signature: bytes) -> str:
    """One signature line ``— <name> <base64(key hash ‖ signature)>\\n``."""
    if not isinstance(signature, bytes) or not signature:
        raise InvalidInput("signature", "must be non-empty bytes")
    encoded = base64.b64encode(key_hash(name, public_key) + signature).decode("ascii")
    return f"{SIGNATURE_PREFIX}{name} {encoded}\n"


def signed_note(body: str, name: str, public_key: bytes, signature: bytes) -> str:
    """The signed note: ``body``, a blank line, the signature line of key ``name``."""
    _check_text(body, "body")
    if not body.endswith("\n"):
        raise InvalidInput("body", "must end with a newline")
    return body + "\n" + signature_line(name, public_key, signature)


def parse_signed_note(text: str | bytes) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its body (with its final newline) and its signatures.

    Nothing is verified here (see :func:`ledger.signing.verify_note`): this only refuses, with
    :class:`InvalidInput` on field ``note``, a text that is not a signed note — not UTF-8, too long,
    with a control character (a carriage return included), without the blank line before the
    signatures, or with a signature line that is not ``— <name> <base64>`` in canonical base64.
    """
    where = "note"
    if isinstance(text, bytes):
        if len(text) > MAX_NOTE_BYTES:
            raise InvalidInput(where, f"is too long ({len(text)} bytes; at most {MAX_NOTE_BYTES})")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(where, f"is not UTF-8 text (byte {exc.start})") from None
    _check_text(text, where)
    split = text.rfind("\n\n")
    if split < 0:
        raise InvalidInput(where, "has no blank line between the text and the signatures")
    body, block = text[: split + 1], text[split + 2 :]
    if not block:
        raise InvalidInput(where, "has no signature after the blank line")
    if not block.endswith("\n"):
        raise InvalidInput(where, "must end with a newline after the last signature")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise InvalidInput(where, f"has too many signatures ({len(lines)}; at most {MAX_SIGNATURES})")
    return body, [_parse_signature_line(line, number) for number, line in enumerate(lines, start=1)]


def _parse_signature_line(line: str, number: int) -> NoteSignature:
    where = "note"
    if not line.startswith(SIGNATURE_PREFIX):
        raise InvalidInput(where, f"signature line {number} does not start with '— ' (em dash, space)")
    name, space, encoded = line.removeprefix(SIGNATURE_PREFIX).partition(" ")
    if not space or not encoded:
        raise InvalidInput(where, f"signature line {number} must be '— <key name> <signature>'")
    if " " in encoded:
        raise InvalidInput(
            where, f"signature line {number} has more than 2 fields (a key name has no spaces)"
        )
    if not is_valid_key_name(name):
        raise InvalidInput(where, f"signature line {number}: bad key name {name!r}")
    data = _decode_base64(encoded, where, f"signature line {number}")
    if len(data) <= KEY_HASH_SIZE:
        raise InvalidInput(where, f"signature line {number}: the signature is too short")
    return NoteSignature(name, data[:KEY_HASH_SIZE], data[KEY_HASH_SIZE:])


# -------------------------------------------------------------------------------------------- helpers


def _check_text(text: str, field_name: str) -> None:
    """Valid UTF-8, not too long, and no control character other than the newline."""
    if not isinstance(text, str):
        raise InvalidInput(field_name, "must be text")
    if len(text) > MAX_NOTE_BYTES:
        raise InvalidInput(
            field_name, f"is too long ({len(text)} characters; at most {MAX_NOTE_BYTES} bytes)"
        )
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise InvalidInput(field_name, f"is not UTF-8 text (character {exc.start})") from None
    if size > MAX_NOTE_BYTES:
        raise InvalidInput(field_name, f"is too long ({size} bytes; at most {MAX_NOTE_BYTES})")
    for position, ch in enumerate(text):
        if ch == "\r":
            raise InvalidInput(
                field_name, f"has a carriage return (character {position}): use Unix line ends"
            )
        if ord(ch) < 0x20 and ch != "\n":
            raise InvalidInput(field_name, f"has the control character {ch!r} (character {position})")


def _decode_base64(value: str, field_name: str, what: str) -> bytes:
    """Standard padded base64, canonical (one text per value: no altered padding bits)."""
    try:
        data = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise InvalidInput(field_name, f"{what} is not valid base64") from None
    if base64.b64encode(data).decode("ascii") != value:
        raise InvalidInput(field_name, f"{what} is not canonical base64")
    return data


def note_checkpoint(note: str) -> Checkpoint:
    """The checkpoint a signed note carries — its body read, its signatures *not* verified (a note the
    store kept; :func:`ledger.signing.verify_note` is the check against a key)."""
    return Checkpoint.parse(parse_signed_note(note)[0])
