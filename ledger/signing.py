"""Signing — ký số: the Ed25519 key that signs the log's checkpoints, kept outside the database.

The key lives in a file named by the setting ``LEDGER_SIGNING_KEY``, never in the store: whoever
administers the database cannot sign a checkpoint of a rewritten log. ``ledger keys generate`` makes
the file (:func:`generate_key_file`) and prints the verifier key, the one line inspectors keep.

**Key file format.** One line, Go's ``golang.org/x/mod/sumdb/note`` signer key — what
``note.GenerateKey`` writes, so standard tooling can use the same key::

    PRIVATE+KEY+<name>+<hex key hash>+<base64(0x01 ‖ 32-byte Ed25519 seed)>

followed by a newline. The name is the log's origin (``benefits-ledger/75``). The file is created
with mode 0600 and never overwritten; :func:`load_signer` refuses a file that anyone but its owner may
read or write (mode bits 0o077), as ssh does with its keys.

**Verifying** (:func:`verify_note` for checkpoints, :func:`open_note` for any signed note) needs only
the note and the verifier key text (``<name>+<hex key hash>+<base64(0x01 ‖ public key)>``): no
database, no private key — an inspector verifies with the printed public key. It refuses,
with :class:`VerificationError` naming what failed, a note not signed by that key, a signature that
does not match the text (the checkpoint or its signature was altered), or a checkpoint of another
origin than the key's name.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from domain.checkpoints import (
    ED25519,
    PUBLIC_KEY_SIZE,
    Checkpoint,
    is_valid_key_name,
    key_hash,
    parse_signed_note,
    parse_verifier_key,
    signed_note,
    verifier_key_text,
)
from domain.errors import InvalidInput
from ledger.config import ConfigurationError

SETTING = "LEDGER_SIGNING_KEY"
PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"
_MAX_KEY_FILE = 1024


class VerificationError(InvalidInput):
    """A note that does not verify against the given key; ``field`` and the message say why."""


class Signer:
    """An Ed25519 signing key with its name: signs checkpoints of the log whose origin is its name."""

    __slots__ = ("_private_key", "key_hash", "name", "public_key")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self.name = name
        self._private_key = private_key
        self.public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_hash = key_hash(name, self.public_key)

    @classmethod
    def from_key_text(cls, text: str) -> Signer:
        """The signer of a ``PRIVATE+KEY+<name>+<hash>+<base64>`` line (:class:`ValueError` if malformed)."""
        return _parse_signer_key(text.strip())

    def __repr__(self) -> str:
        return f"Signer({self.verifier_key!r})"

    @property
    def verifier_key(self) -> str:
        """The public verifier key text, for inspectors."""
        return verifier_key_text(self.name, self.public_key)

    def key_text(self) -> str:
        """The private key line (the key file's content, without its newline). Keep it secret."""
        seed = self._private_key.private_bytes_raw()
        encoded = base64.b64encode(bytes([ED25519]) + seed).decode("ascii")
        return f"{PRIVATE_KEY_PREFIX}{self.name}+{self.key_hash.hex()}+{encoded}"

    def sign_note(self, text: str) -> str:
        """Sign any note text (ending with a newline) into a C2SP signed note."""
        signature = self._private_key.sign(text.encode("utf-8"))
        return signed_note(text, self.name, self.public_key, signature)

    def sign_checkpoint(self, checkpoint: Checkpoint) -> str:
        """The signed note of ``checkpoint``; only a checkpoint of the log named like the key is signed."""
        if checkpoint.origin != self.name:
            raise InvalidInput(
                "origin",
                f"the key {self.name!r} signs the checkpoints of its own log, not of {checkpoint.origin!r}",
            )
        return self.sign_note(checkpoint.body())


def generate_key_file(path: str | os.PathLike[str], name: str) -> str:
    """Create a new key file at ``path`` (mode 0600, never overwriting) and return its verifier key.

    ``name`` is the key's name, the log's origin (:func:`domain.checkpoints.origin_for`).
    """
    if not is_valid_key_name(name):
        raise ConfigurationError(f"key name must be non-empty, without spaces or '+': {name!r}")
    signer = Signer(name, Ed25519PrivateKey.generate())
    target = Path(path)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigurationError(f"{SETTING}: {target} already exists; refusing to overwrite a key") from None
    except OSError as exc:
        raise ConfigurationError(f"{SETTING}: cannot create {target}: {exc.strerror}") from None
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, (signer.key_text() + "\n").encode("ascii"))
    except OSError as exc:
        os.close(fd)
        target.unlink(missing_ok=True)  # no half-written key left behind
        raise ConfigurationError(f"{SETTING}: cannot write {target}: {exc.strerror}") from None
    os.close(fd)
    return signer.verifier_key


def load_signer(path: str | os.PathLike[str] | None) -> Signer:
    """The signer of the key file at ``path`` (the ``LEDGER_SIGNING_KEY`` setting).

    Raises :class:`~ledger.config.ConfigurationError` naming the setting when it is unset, or the file
    is missing, unreadable, readable or writable by others than its owner, or not a key file.
    """
    if path is None or not os.fspath(path):
        raise ConfigurationError(f"{SETTING} is not set: name the signing key file (`ledger keys generate`)")
    target = Path(path)
    try:
        info = target.stat()
    except FileNotFoundError:
        raise ConfigurationError(
            f"{SETTING}: no key file at {target} (`ledger keys generate` makes one)"
        ) from None
    except OSError as exc:
        raise ConfigurationError(f"{SETTING}: cannot read {target}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigurationError(f"{SETTING}: {target} is not a regular file")
    if info.st_mode & 0o077:
        raise ConfigurationError(
            f"{SETTING}: {target} has mode {stat.S_IMODE(info.st_mode):04o}; a signing key must be readable "
            f"by its owner only (chmod 600 {target})"
        )
    if info.st_size > _MAX_KEY_FILE:
        raise ConfigurationError(f"{SETTING}: {target} is too large to be a key file")
    try:
        raw = target.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"{SETTING}: cannot read {target}: {exc.strerror}") from None
    try:
        return _parse_signer_key(raw.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError) as exc:
        reason = "not ASCII text" if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise ConfigurationError(f"{SETTING}: {target} is not a signing key file: {reason}") from None


def open_note(text: str | bytes, verifier_key: str) -> str:
    """The text (body) of a signed note, once its signature by ``verifier_key`` is verified.

    Any note, not only checkpoints (the Go test vectors are not). Signatures by other keys are
    ignored, as the signed-note format asks. Raises :class:`~domain.errors.InvalidInput` (field
    ``verifier_key`` or ``note``) for a malformed key or note, and :class:`VerificationError` for a
    note not signed by the key (field ``key``) or whose signature does not match its text
    (``signature``: the text or the signature was altered).
    """
    name, expected_hash, public_key = parse_verifier_key(verifier_key)
    body, signatures = parse_signed_note(text)
    key = f"{name}+{expected_hash.hex()}"
    mine = [s for s in signatures if s.name == name and s.key_hash == expected_hash]
    if not mine:
        found = ", ".join(f"{s.name}+{s.key_hash.hex()}" for s in signatures)
        raise VerificationError("key", f"the note is not signed by the key {key} (it is signed by {found})")
    verifier = Ed25519PublicKey.from_public_bytes(public_key)
    message = body.encode("utf-8")
    for signature in mine:
        try:
            verifier.verify(signature.signature, message)
        except InvalidSignature:
            raise VerificationError(
                "signature",
                f"the signature by {key} does not match the text: the text or its signature was altered",
            ) from None
    return body


def verify_note(text: str | bytes, verifier_key: str) -> Checkpoint:
    """The checkpoint of a signed note, once its signature by ``verifier_key`` is verified.

    Needs nothing but the note and the verifier key (no database, no private key). Raises as
    :func:`open_note` does; then :class:`~domain.errors.InvalidInput` (field ``checkpoint``) for a
    verified text that is not a checkpoint, and :class:`VerificationError` (field ``origin``) for a
    checkpoint of another log than the key's name. The body is read only once its signature verified.
    """
    body = open_note(text, verifier_key)
    name = parse_verifier_key(verifier_key)[0]
    checkpoint = Checkpoint.parse(body)
    if checkpoint.origin != name:
        raise VerificationError(
            "origin", f"the key {name!r} signs the checkpoints of {name!r}, not of {checkpoint.origin!r}"
        )
    return checkpoint


def _parse_signer_key(text: str) -> Signer:
    """Read ``PRIVATE+KEY+<name>+<hex hash>+<base64(0x01 ‖ seed)>``; a :class:`ValueError` says why not."""
    if not text.startswith(PRIVATE_KEY_PREFIX):
        raise ValueError(f"it must start with {PRIVATE_KEY_PREFIX!r}")
    parts = text.removeprefix(PRIVATE_KEY_PREFIX).split("+", 2)
    if len(parts) != 3:
        raise ValueError("it must be PRIVATE+KEY+<name>+<hash>+<key>")
    name, hash_hex, key64 = parts
    if not is_valid_key_name(name):
        raise ValueError(f"bad key name {name!r}")
    try:
        data = base64.b64decode(key64, validate=True)
        expected = bytes.fromhex(hash_hex)
    except (binascii.Error, ValueError):
        raise ValueError("the key or its hash is not well encoded") from None
    if len(hash_hex) != 8 or base64.b64encode(data).decode("ascii") != key64:
        raise ValueError("the key or its hash is not well encoded")
    if len(data) != 1 + PUBLIC_KEY_SIZE or data[0] != ED25519:
        raise ValueError("it is not an Ed25519 key (type 0x01, 32 bytes)")
    signer = Signer(name, Ed25519PrivateKey.from_private_bytes(data[1:]))
    if signer.key_hash != expected:
        raise ValueError(f"the key hash {hash_hex} does not match the key ({signer.key_hash.hex()})")
    return signer
