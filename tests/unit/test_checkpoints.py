"""Checkpoints (issue 13): the C2SP tlog-checkpoint and signed-note texts, their Ed25519 signatures, and
the key file that lives outside the database.

The test vectors come from the Go implementation of the signed-note format, golang.org/x/mod
(github.com/golang/mod): ``sumdb/note/note_test.go`` (TestNewVerifier, TestNewSigner, TestSign,
TestOpen: the PeterNeumann and EnochRoot keys and signatures) and ``sumdb/tlog/note_test.go``
(TestFormatTree / TestParseTree: a tree head body).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.checkpoints import (
    MAX_NOTE_BYTES,
    Checkpoint,
    NoteSignature,
    key_hash,
    origin_for,
    parse_signed_note,
    parse_verifier_key,
    signed_note,
    verifier_key_text,
)
from domain.errors import InvalidInput
from ledger.config import ConfigurationError
from ledger.signing import (
    Signer,
    VerificationError,
    generate_key_file,
    load_signer,
    open_note,
    verify_note,
)

# ------------------------------------------------------------------- vectors of golang.org/x/mod

PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_B64 = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
ENOCH_B64 = "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ="
PETER_SIG = f"— PeterNeumann {PETER_B64}\n"
ENOCH_SIG = f"— EnochRoot {ENOCH_B64}\n"
GO_TREE = "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"

ORIGIN = "benefits-ledger/75"
ROOT = hashlib.sha256(b"root").digest()
TIME = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_go_verifier_key_is_read_and_written_back():
    name, digest, public_key = parse_verifier_key(PETER_VKEY)
    assert (name, digest.hex(), len(public_key)) == ("PeterNeumann", "c74f20a3", 32)
    assert key_hash(name, public_key) == bytes.fromhex("c74f20a3")
    assert verifier_key_text(name, public_key) == PETER_VKEY
    assert parse_verifier_key(f"  {PETER_VKEY}\n")[0] == "PeterNeumann"  # copied from a printout


def test_go_signer_key_gives_the_go_verifier_key_and_signature():
    signer = Signer.from_key_text(PETER_SKEY)
    assert signer.verifier_key == PETER_VKEY
    assert signer.key_text() == PETER_SKEY
    assert signer.sign_note(TEXT) == TEXT + "\n" + PETER_SIG  # TestSign's `want`, byte for byte
    assert PETER_SKEY not in repr(signer)


def test_the_private_key_quoted_in_the_brief_is_not_peter_neumanns():
    """The issue quoted ...iUvxEXUOMPb; note_test.go has ...iUvxdXHKDFz. The quoted one's hash is wrong."""
    with pytest.raises(ValueError, match="does not match the key"):
        Signer.from_key_text("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxEXUOMPb")


def test_go_note_is_opened_with_the_verifier_key_alone():
    assert open_note(TEXT + "\n" + PETER_SIG, PETER_VKEY) == TEXT
    body, signatures = parse_signed_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG)
    assert body == TEXT
    assert [(s.name, s.key_hash.hex(), len(s.signature)) for s in signatures] == [
        ("PeterNeumann", "c74f20a3", 64),
        ("EnochRoot", "af0cfe78", 64),
    ]
    # each key verifies its own signature, and ignores the other's (TestOpen)
    assert open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, PETER_VKEY) == TEXT
    assert open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, ENOCH_VKEY) == TEXT


def test_go_signed_note_is_rebuilt_from_its_parts():
    _, _, public_key = parse_verifier_key(PETER_VKEY)
    [(name, _, signature)] = parse_signed_note(TEXT + "\n" + PETER_SIG)[1]
    assert signed_note(TEXT, name, public_key, signature) == TEXT + "\n" + PETER_SIG


def test_go_invalid_signature_is_refused():
    """TestOpen: four characters inserted into the signature."""
    with pytest.raises(VerificationError, match="does not match the text") as caught:
        open_note(TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:], PETER_VKEY)
    assert caught.value.field == "signature"


@pytest.mark.parametrize(
    ("note", "reason"),
    [
        (TEXT, "no blank line"),
        (TEXT + "\n", "no signature"),
        (TEXT + "\n" + PETER_SIG[:-1], "must end with a newline"),
        ("\x01" + TEXT + "\n" + PETER_SIG, "control character"),
        (b"\xff" + (TEXT + "\n" + PETER_SIG).encode(), "not UTF-8"),
        (TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name").rstrip("\n"), "must end with a newline"),
        (
            TEXT + "\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg=\n",
            "key name has no spaces",
        ),
        (TEXT + "\n" + PETER_SIG + "Unexpected line.\n", "does not start with '— '"),
        (TEXT + "\n" + PETER_SIG * 101, "too many signatures"),
    ],
)
def test_go_malformed_notes_are_refused(note, reason):
    """TestOpen's badMsgs, each with the reason it names."""
    with pytest.raises(InvalidInput, match=reason) as caught:
        parse_signed_note(note)
    assert caught.value.field == "note"


def test_go_verifier_key_manglings_are_refused():
    """TestNewVerifier: every proper substring and every character changed is refused."""
    for i in range(len(PETER_VKEY) + 1):
        for j in range(i + 1, len(PETER_VKEY) + 1):
            if (i, j) != (0, len(PETER_VKEY)):
                with pytest.raises(InvalidInput):
                    parse_verifier_key(PETER_VKEY[i:j])
    for i in range(len(PETER_VKEY)):
        with pytest.raises(InvalidInput):
            parse_verifier_key(PETER_VKEY[:i] + chr(ord(PETER_VKEY[i]) + 1) + PETER_VKEY[i + 1 :])
    with pytest.raises(InvalidInput, match="canonical base64"):  # wrong length key, with adjusted key hash
        parse_verifier_key("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
    with pytest.raises(InvalidInput, match="unknown key type"):  # unknown algorithm, adjusted key hash
        parse_verifier_key("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


def test_go_signer_key_manglings_are_refused():
    """TestNewSigner: every proper substring and every character changed is refused."""
    for i in range(len(PETER_SKEY) + 1):
        for j in range(i + 1, len(PETER_SKEY) + 1):
            if (i, j) != (0, len(PETER_SKEY)):
                with pytest.raises(ValueError, match=r"."):
                    Signer.from_key_text(PETER_SKEY[i:j])
    for i in range(len(PETER_SKEY)):
        with pytest.raises(ValueError, match=r"."):
            Signer.from_key_text(PETER_SKEY[:i] + chr(ord(PETER_SKEY[i]) + 1) + PETER_SKEY[i + 1 :])


def test_go_tree_head_is_a_checkpoint_body():
    """sumdb/tlog TestFormatTree: the record hash of "hello world" at size 123456789012."""
    checkpoint = Checkpoint.parse(GO_TREE)
    assert checkpoint.origin == "go.sum database tree"
    assert checkpoint.size == 123456789012
    assert checkpoint.root_hash == hashlib.sha256(b"\x00hello world").digest()  # RFC 6962 leaf hash
    assert checkpoint.time is None
    assert checkpoint.body() == GO_TREE


# ------------------------------------------------------------------------------------- the body


def test_checkpoint_body_is_the_c2sp_text_with_a_time_line():
    checkpoint = Checkpoint(ORIGIN, 1234, hashlib.sha256(b"").digest(), TIME)
    assert checkpoint.body() == (
        "benefits-ledger/75\n1234\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\ntime 2026-12-01T10:00:00Z\n"
    )
    assert Checkpoint.parse(checkpoint.body()) == checkpoint
    assert origin_for("75") == ORIGIN


def test_checkpoint_time_is_utc_to_the_second():
    hanoi = timezone(timedelta(hours=7))
    checkpoint = Checkpoint(ORIGIN, 0, ROOT, datetime(2026, 12, 1, 17, 0, 0, 999, tzinfo=hanoi))
    assert checkpoint.time == TIME
    with pytest.raises(InvalidInput, match="time zone"):
        Checkpoint(ORIGIN, 0, ROOT, datetime(2026, 12, 1, 10, 0))  # noqa: DTZ001 - the naive time refused


@given(
    origin=st.from_regex(r"[a-z0-9./-]{1,40}", fullmatch=True),
    size=st.integers(min_value=0, max_value=2**63 - 1),
    root=st.binary(min_size=32, max_size=32),
    time=st.none() | st.datetimes(timezones=st.just(UTC)).map(lambda t: t.replace(microsecond=0)),
    extensions=st.lists(st.from_regex(r"[a-z][a-z0-9 ]{0,20}", fullmatch=True), max_size=3),
)
def test_checkpoint_body_round_trips(origin, size, root, time, extensions):
    extensions = [line for line in extensions if not line.startswith("time ")]
    checkpoint = Checkpoint(origin, size, root, time, tuple(extensions))
    assert Checkpoint.parse(checkpoint.body()) == checkpoint


_BODY = f"{ORIGIN}\n12\n{base64.b64encode(ROOT).decode()}\n"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"{ORIGIN}\n12\n", "at least 3 lines"),
        (_BODY.rstrip("\n"), "end with a newline"),
        (_BODY.replace("\n12\n", "\n012\n"), "tree size in decimal"),
        (_BODY.replace("\n12\n", "\n-1\n"), "tree size in decimal"),
        (_BODY.replace("\n12\n", "\n１２\n"), "tree size in decimal"),
        (_BODY.replace("\n12\n", f"\n{2**63}\n"), "too large"),
        (f"{ORIGIN}\n12\n{base64.b64encode(ROOT[:31]).decode()}\n", "32 bytes"),
        (f"{ORIGIN}\n12\nnot base64!\n", "not valid base64"),
        (_BODY + "time 2026-12-01 10:00:00\n", "YYYY-MM-DDTHH:MM:SSZ"),
        (_BODY + "time 2026-13-01T10:00:00Z\n", "not a real date"),
        (_BODY + "other\ntime 2026-12-01T10:00:00Z\n", "first extension line"),
        (_BODY + "\nmore\n", "line 4 is empty"),
        ("\n12\n" + _BODY.split("\n", 2)[2], "line 1 is empty"),
    ],
)
def test_malformed_checkpoint_bodies_are_refused(text, reason):
    with pytest.raises(InvalidInput, match=reason) as caught:
        Checkpoint.parse(text)
    assert caught.value.field == "checkpoint"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        (("", 1, ROOT, TIME), "origin"),
        (("a\nb", 1, ROOT, TIME), "origin"),
        ((ORIGIN, -1, ROOT, TIME), "size"),
        ((ORIGIN, True, ROOT, TIME), "size"),
        ((ORIGIN, 1, ROOT[:8], TIME), "root_hash"),
    ],
)
def test_checkpoint_values_are_checked(arguments, field):
    with pytest.raises(InvalidInput) as caught:
        Checkpoint(*arguments)
    assert caught.value.field == field


# ------------------------------------------------------------------------------ signing, verifying


@pytest.fixture(scope="module")
def key(tmp_path_factory) -> tuple[Signer, str]:
    path = tmp_path_factory.mktemp("keys") / "signing.key"
    verifier_key = generate_key_file(path, ORIGIN)
    return load_signer(path), verifier_key


@pytest.fixture(scope="module")
def note(key) -> str:
    signer, _ = key
    return signer.sign_checkpoint(Checkpoint(ORIGIN, 1234, ROOT, TIME))


def test_signed_checkpoint_verifies_with_the_verifier_key_alone(key, note):
    signer, verifier_key = key
    assert signer.verifier_key == verifier_key
    assert verifier_key.startswith(ORIGIN + "+")
    assert verify_note(note, verifier_key) == Checkpoint(ORIGIN, 1234, ROOT, TIME)
    assert verify_note(note.encode(), verifier_key).size == 1234
    body, [signature] = parse_signed_note(note)
    assert body == Checkpoint(ORIGIN, 1234, ROOT, TIME).body()
    assert signature == NoteSignature(ORIGIN, signer.key_hash, signature.signature)


@given(data=st.data())
def test_any_changed_byte_of_a_signed_checkpoint_is_refused(key, note, data):
    _, verifier_key = key
    raw = bytearray(note.encode())
    position = data.draw(st.integers(min_value=0, max_value=len(raw) - 1), label="position")
    value = data.draw(
        st.integers(min_value=0, max_value=255).filter(lambda b: b != raw[position]), label="byte"
    )
    raw[position] = value
    with pytest.raises(InvalidInput):
        verify_note(bytes(raw), verifier_key)


def test_another_key_is_refused_naming_both_keys(key, note):
    with pytest.raises(VerificationError, match=r"not signed by the key PeterNeumann\+c74f20a3") as caught:
        verify_note(note, PETER_VKEY)
    assert caught.value.field == "key"
    assert ORIGIN in caught.value.message


def test_altered_body_is_refused(key, note):
    _, verifier_key = key
    altered = note.replace("\n1234\n", "\n1233\n")
    with pytest.raises(VerificationError, match="altered") as caught:
        verify_note(altered, verifier_key)
    assert caught.value.field == "signature"


def test_a_checkpoint_of_another_log_is_neither_signed_nor_accepted(key):
    signer, verifier_key = key
    other = Checkpoint("benefits-ledger/01", 1, ROOT, TIME)
    with pytest.raises(InvalidInput, match="benefits-ledger/01"):
        signer.sign_checkpoint(other)
    with pytest.raises(VerificationError, match="not of 'benefits-ledger/01'") as caught:
        verify_note(signer.sign_note(other.body()), verifier_key)
    assert caught.value.field == "origin"


def test_a_signed_text_that_is_not_a_checkpoint_is_refused(key):
    signer, verifier_key = key
    with pytest.raises(InvalidInput, match="at least 3 lines") as caught:
        verify_note(signer.sign_note("hello\n"), verifier_key)
    assert caught.value.field == "checkpoint"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda n: n.replace("\n\n", "\n"), "no blank line"),
        (lambda n: n[:-3] + "!=\n", "not valid base64"),
        (lambda n: n.replace("— ", "-- "), "does not start with '— '"),
        (lambda n: n.replace("\n", "\r\n"), "carriage return"),
        (lambda n: n.replace("1234", "12\t34"), "control character"),
        (lambda n: n + "— x " + "A" * MAX_NOTE_BYTES + "\n", "too long"),
        (lambda n: n.replace(ORIGIN + " ", ORIGIN + "  "), "more than 2 fields"),
        (lambda n: n.replace("— " + ORIGIN, "— " + ORIGIN + "+1"), "bad key name"),
        (lambda n: n.encode().replace(b"\xe2\x80\x94", b"\xe2\x80"), "not UTF-8"),
        (lambda n: n.encode().replace(b"1234", b"12\xed\xa0\x80"), "not UTF-8"),  # a surrogate
    ],
)
def test_malformed_signed_checkpoints_name_the_reason(key, note, change, reason):
    _, verifier_key = key
    with pytest.raises(InvalidInput, match=reason) as caught:
        verify_note(change(note), verifier_key)
    assert caught.value.field == "note"


def test_non_canonical_base64_is_refused(key, note):
    """The last character before '=' carries 2 unused bits: changing only them is still refused."""
    _, verifier_key = key
    body, line = note.rsplit("\n\n", 1)
    encoded = line.split(" ")[2].rstrip("\n")
    assert encoded.endswith("=")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(encoded[-2])
    twin = alphabet[last ^ 1]  # the same 4 leading bits
    altered = f"{body}\n\n{line.replace(encoded, encoded[:-2] + twin + '=')}"
    assert base64.b64decode(encoded[:-2] + twin + "=") == base64.b64decode(encoded)
    with pytest.raises(InvalidInput, match="not canonical base64"):
        verify_note(altered, verifier_key)


def test_malformed_verifier_keys_name_the_reason():
    for text, reason in [
        ("", "must be written"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match the key"),
        ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hex digits"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key name"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "not valid base64"),
    ]:
        with pytest.raises(InvalidInput, match=reason) as caught:
            parse_verifier_key(text)
        assert caught.value.field == "verifier_key"


# ------------------------------------------------------------------------------------ the key file


def test_key_file_is_owner_only_in_the_go_format_and_never_overwritten(tmp_path: Path):
    path = tmp_path / "signing.key"
    verifier_key = generate_key_file(path, ORIGIN)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_text()
    assert content.startswith(f"PRIVATE+KEY+{ORIGIN}+{parse_verifier_key(verifier_key)[1].hex()}+")
    assert content.endswith("\n")
    assert Signer.from_key_text(content).verifier_key == verifier_key
    with pytest.raises(ConfigurationError, match="already exists; refusing to overwrite"):
        generate_key_file(path, ORIGIN)
    assert path.read_text() == content


def test_key_file_is_0600_whatever_the_umask(tmp_path: Path):
    previous = os.umask(0)
    try:
        generate_key_file(tmp_path / "k", ORIGIN)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "k").stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o644, 0o604, 0o640, 0o620])
def test_a_key_file_readable_by_others_is_refused(tmp_path: Path, mode):
    path = tmp_path / "signing.key"
    generate_key_file(path, ORIGIN)
    path.chmod(mode)
    with pytest.raises(ConfigurationError, match=f"LEDGER_SIGNING_KEY: .* has mode 0{mode:o}.*chmod 600"):
        load_signer(path)


def test_a_missing_unset_or_malformed_key_file_is_refused(tmp_path: Path):
    with pytest.raises(ConfigurationError, match="LEDGER_SIGNING_KEY is not set"):
        load_signer(None)
    with pytest.raises(ConfigurationError, match="LEDGER_SIGNING_KEY is not set"):
        load_signer("")
    with pytest.raises(ConfigurationError, match="no key file at"):
        load_signer(tmp_path / "absent.key")
    with pytest.raises(ConfigurationError, match="not a regular file"):
        load_signer(tmp_path)
    for content, reason in [
        (PETER_VKEY, "must start with 'PRIVATE\\+KEY\\+'"),
        (PETER_SKEY.replace("c74f20a3", "c74f20a4"), "does not match the key"),
        ("PRIVATE+KEY+é", "not ASCII"),
    ]:
        path = tmp_path / "bad.key"
        path.write_text(content)
        path.chmod(0o600)
        with pytest.raises(ConfigurationError, match=f"LEDGER_SIGNING_KEY: .*{reason}"):
            load_signer(path)
        path.unlink()


def test_an_unreadable_key_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The operating system refuses the read (mode 0200 for a user, or an ACL): simulated, so that the
    test also runs as root, who reads any file."""
    path = tmp_path / "signing.key"
    generate_key_file(path, ORIGIN)

    def refused(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refused)
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_signer(path)


def test_the_go_key_file_is_loaded(tmp_path: Path):
    path = tmp_path / "peter.key"
    path.write_text(PETER_SKEY)  # note.GenerateKey's text, without a newline
    path.chmod(0o600)
    assert load_signer(path).verifier_key == PETER_VKEY


_PIECES = ["\n", "— ", " ", "+", "=", "a", "AAAA", PETER_SIG, TEXT, "time "]
_READERS = (parse_signed_note, Checkpoint.parse, parse_verifier_key, lambda t: verify_note(t, PETER_VKEY))


@given(text=st.binary(max_size=300) | st.text(max_size=300) | st.lists(st.sampled_from(_PIECES)).map("".join))
def test_any_text_is_read_or_refused_with_invalid_input(text):
    """Like Go's FuzzParseTree: no text gives anything but a result or InvalidInput (never a traceback)."""
    for read in _READERS:
        as_text = (
            text.decode("latin-1") if isinstance(text, bytes) and read is not parse_signed_note else text
        )
        with contextlib.suppress(InvalidInput):
            read(as_text)
