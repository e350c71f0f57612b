"""C2SP signed notes and checkpoints, checked against golang.org/x/mod/sumdb/note's vector."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from plateledger.audit import Checkpoint, NoteError, NoteSigner, open_note, verify_checkpoint
from plateledger.audit.note import KEY_FILE, NoteVerifier, key_id

# the example of golang.org/x/mod/sumdb/note (Ed25519 signatures are deterministic)
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg"
    "KvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_signing_reproduces_the_go_note_byte_for_byte() -> None:
    signer = NoteSigner.from_private_key_text(GO_SIGNER)
    assert signer.verifier_key() == GO_VERIFIER
    assert signer.sign(GO_TEXT) == GO_NOTE
    assert open_note(GO_NOTE, GO_VERIFIER) == GO_TEXT


def test_key_id_is_the_first_four_bytes_of_sha256_of_name_newline_type_and_key() -> None:
    verifier = NoteVerifier.parse(GO_VERIFIER)
    assert key_id("PeterNeumann", verifier.public_key).hex() == "c74f20a3"


def test_checkpoint_note_is_origin_size_and_base64_root() -> None:
    signer = NoteSigner.generate("example.com/log")
    note = signer.sign(Checkpoint("example.com/log", 7, bytes(range(32))).text())
    body, _, signature = note.partition("\n\n")
    assert body == "example.com/log\n7\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    assert signature.startswith("— example.com/log ")
    checkpoint = verify_checkpoint(note, signer.verifier_key())
    assert (checkpoint.origin, checkpoint.size, checkpoint.root_hash) == (
        "example.com/log", 7, bytes(range(32)),
    )  # fmt: skip


def test_checkpoint_signed_by_another_key_is_rejected() -> None:
    ours, theirs = NoteSigner.generate("example.com/log"), NoteSigner.generate("example.com/log")
    note = theirs.sign(Checkpoint("example.com/log", 1, bytes(32)).text())
    with pytest.raises(NoteError):
        verify_checkpoint(note, ours.verifier_key())


def test_every_one_character_edit_of_a_checkpoint_is_rejected() -> None:
    signer = NoteSigner.generate("example.com/log")
    note = signer.sign(Checkpoint("example.com/log", 12345, bytes(range(32))).text())
    accepted = []
    for position, char in enumerate(note):
        replacement = "A" if char != "A" else "B"
        edited = note[:position] + replacement + note[position + 1 :]
        try:
            verify_checkpoint(edited, signer.verifier_key())
        except NoteError:
            continue
        accepted.append(position)
    assert accepted == []


@pytest.mark.parametrize(
    "text",
    [
        "example.com/log\n7\n",  # no root
        "example.com/log\n07\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",  # leading zero
        "example.com/log\n-1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "example.com/log\n7\nAAECAw==\n",  # short root
        "example.com/log\n7\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",  # no final newline
        "example.com/log\n7\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\nx\n",  # empty line
        "example.com/log\n\u00b2\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",  # superscript
        "example.com/log\n\u0663\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",  # Arabic 3
        "example.com/log\n" + "9" * 5000 + "\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
    ],
)
def test_malformed_checkpoint_text_is_rejected(text: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse(text)


@pytest.mark.parametrize(
    "key",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong id
        "PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong type
        "PeterNeumann+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_malformed_verifier_key_is_rejected(key: str) -> None:
    with pytest.raises(NoteError):
        NoteVerifier.parse(key)


def test_signature_from_an_unknown_key_is_ignored_beside_a_valid_one() -> None:
    other = NoteSigner.generate("witness.example/w1")
    signed = NoteSigner.from_private_key_text(GO_SIGNER).sign(GO_TEXT)
    cosigned = signed + other.sign(GO_TEXT).split("\n\n")[1]
    assert open_note(cosigned, GO_VERIFIER) == GO_TEXT
    with pytest.raises(NoteError):
        open_note(GO_NOTE, other.verifier_key())


def test_key_is_created_once_with_mode_0600_and_then_reloaded(tmp_path: Path) -> None:
    first = NoteSigner.load_or_create(tmp_path, "city.example/audit")
    again = NoteSigner.load_or_create(tmp_path, "ignored.example/other")
    path = tmp_path / "keys" / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert again.verifier_key() == first.verifier_key()
    assert first.verifier_key().startswith("city.example/audit+")
