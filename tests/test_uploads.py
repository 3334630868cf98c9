"""The rules every upload passes: clean names, size and type limits, and the
content type sniffed from the bytes."""

import struct
import unicodedata
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given
from hypothesis import strategies as st

from loket.files.uploads import (
    BLOCKED_EXTENSIONS,
    MAX_NAME_LENGTH,
    check_upload,
    clean_filename,
    sniff,
)

# --- clean_filename ----------------------------------------------------------


@given(st.text(max_size=400))
@example("../../etc/passwd")
@example("..")
@example("..\\..\\boot.ini")
@example("a\x00b\x1f\x7f.pdf")
@example("invoice\u202efdp.exe")
@example(" . . ")
@example("con.txt")
@example("x" * 300 + ".pdf")
@example("é" * 254 + "\u0301")
def test_a_cleaned_name_is_always_safe(name: str) -> None:
    try:
        cleaned = clean_filename(name)
    except ValidationError:
        return
    assert cleaned
    assert "/" not in cleaned
    assert "\\" not in cleaned
    assert cleaned not in (".", "..")
    assert not cleaned.startswith((" ", "."))
    assert not cleaned.endswith((" ", "."))
    assert len(cleaned) <= MAX_NAME_LENGTH
    for char in cleaned:
        assert unicodedata.category(char)[0] != "C", repr(char)
        assert char == " " or not char.isspace(), repr(char)
    assert clean_filename(cleaned) == cleaned


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        ("jaarrekening 2025.pdf", "jaarrekening 2025.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\Piet\\Aangifte.xlsx", "Aangifte.xlsx"),
        ("loon\x00strook\x1b.pdf", "loonstrook.pdf"),
        ("factuur\u202efdp.exe", "factuurfdp.exe"),
        ("tab\there\nnew.txt", "tab here new.txt"),
        ("  notes .  ", "notes"),
        ('what? "now": <x>|*.txt', "what_ _now__ _x___.txt"),
        ("CON.txt", "_CON.txt"),
        ("Ünïcödé – €.pdf", "Ünïcödé – €.pdf"),
    ],
)
def test_names_are_cleaned(name: str, cleaned: str) -> None:
    assert clean_filename(name) == cleaned


@pytest.mark.parametrize("name", ["", "..", "...", "../", "a/..", " ", "\x00\x01"])
def test_a_name_with_nothing_usable_is_refused(name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        clean_filename(name)
    assert refused.value.code == "invalid_name"


def test_a_long_name_keeps_its_extension() -> None:
    cleaned = clean_filename("a" * 400 + ".xlsx")
    assert len(cleaned) == MAX_NAME_LENGTH
    assert cleaned.endswith("a.xlsx")


# --- check_upload ----------------------------------------------------------------


def test_an_ordinary_file_passes() -> None:
    assert check_upload("../Balans 2025.PDF", 12_345) == "Balans 2025.PDF"


@pytest.mark.parametrize(
    "name", ["setup.exe", "SETUP.EXE", "rapport.pdf.js", "x.ps1", "a.lnk", "b.msi"]
)
def test_blocked_extensions_are_refused(name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        check_upload(name, 100)
    assert refused.value.code == "blocked_type"
    assert "blocked" in refused.value.messages[0]


def test_the_blocked_list_holds_the_issues_examples() -> None:
    named = {
        "exe",
        "js",
        "bat",
        "cmd",
        "com",
        "scr",
        "msi",
        "ps1",
        "vbs",
        "vbe",
        "jse",
        "wsf",
        "wsh",
        "hta",
        "cpl",
        "jar",
        "msc",
        "pif",
        "reg",
        "dll",
        "lnk",
        "sh",
        "app",
    }
    assert named <= BLOCKED_EXTENSIONS


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        check_upload("leeg.pdf", 0)
    assert refused.value.code == "empty"
    assert refused.value.messages == [
        "“leeg.pdf” is empty: there is nothing to upload."
    ]


def test_over_size_is_refused_with_the_limit(settings: Any) -> None:
    settings.LOKET_MAX_UPLOAD_SIZE = 5 * 1024**3
    check_upload("big.zip", 5 * 1024**3)
    with pytest.raises(ValidationError) as refused:
        check_upload("big.zip", 5 * 1024**3 + 1)
    assert refused.value.code == "too_large"
    assert "5.0\xa0GB" in refused.value.messages[0]


def test_the_default_limit_is_5_gib() -> None:
    from config import settings as config

    assert config.LOKET_MAX_UPLOAD_SIZE == 5 * 1024**3


def test_an_unknown_size_is_checked_later() -> None:
    assert check_upload("a.pdf", None) == "a.pdf"


# --- sniff -----------------------------------------------------------------------


def pe_executable() -> bytes:
    head = bytearray(512)
    head[:2] = b"MZ"
    head[0x3C:0x40] = struct.pack("<I", 0x80)
    head[0x80:0x84] = b"PE\0\0"
    return bytes(head)


def compound_file(clsid: bytes, directory_sector: int = 1) -> bytes:
    """A minimal Compound File Binary: header, then sectors of 512 bytes; the
    root directory entry's class id at 0x50."""
    header = bytearray(512)
    header[:8] = bytes.fromhex("d0cf11e0a1b11ae1")
    header[0x1E:0x20] = struct.pack("<H", 9)  # 512-byte sectors
    header[0x30:0x34] = struct.pack("<I", directory_sector)
    sectors = bytearray(512 * (directory_sector + 1))
    entry = 512 * directory_sector
    sectors[entry : entry + 10] = "Root".encode("utf-16-le") + b"\0\0"
    sectors[entry + 0x50 : entry + 0x60] = clsid
    return bytes(header + sectors)


MSI_CLSID = bytes.fromhex("84100c0000000000c000000000000046")
EXCEL_CLSID = bytes.fromhex("2008020000000000c000000000000046")


@pytest.mark.parametrize(
    ("head", "name"),
    [
        (pe_executable(), "factuur.pdf"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 60, "old.dat"),
        (b"\x7fELF\x02\x01\x01" + b"\0" * 57, "report.xlsx"),
        (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\0" * 56, "app.pdf"),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x02" + b"\0" * 56, "universal.bin"),
        (b"#!/bin/sh\nrm -rf ~\n", "notes.txt"),
        (bytes.fromhex("4c0000000114020000000000c000000000000046") + b"\0" * 60, "a"),
        (compound_file(MSI_CLSID), "setup.doc"),
    ],
)
def test_programs_are_refused_whatever_their_name(head: bytes, name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        sniff(head, name)
    assert refused.value.code == "blocked_type"
    assert name in refused.value.messages[0]


def test_an_installer_whose_directory_lies_past_the_head_is_found() -> None:
    data = compound_file(MSI_CLSID, directory_sector=40)
    head = data[:8192]
    assert len(data) > 8192

    def read_at(offset: int, size: int) -> bytes:
        return data[offset : offset + size]

    with pytest.raises(ValidationError):
        sniff(head, "x.doc", read_at)
    # Without a way to read further, the benefit of the doubt.
    assert sniff(head, "x.doc") == "application/octet-stream"


@pytest.mark.parametrize(
    ("head", "name", "content_type"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "scan.jpg", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 30, "photo.pdf", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "bon.jpeg", "image/jpeg"),
        (b"Datum;Bedrag\n2025-01-01;12,50\n", "bank.csv", "text/csv"),
        (b"Datum;Bedrag\n2025-01-01;12,50\n", "bank.txt", "text/plain"),
        ("Caf\u00e9 \u20ac 12\n".encode(), "x.txt", "text/plain"),
        ("Caf\u00e9\n".encode("cp1252"), "x.txt", "text/plain"),
        (b"<html><script>alert(1)</script>", "page.html", "text/plain"),
        (b"MZ Holding BV, jaarverslag\n", "mz.txt", "text/plain"),
        (b"\x00\x01\x02\x03binary", "data.bin", "application/octet-stream"),
        (compound_file(EXCEL_CLSID), "oud.xls", "application/octet-stream"),
    ],
)
def test_the_content_type_comes_from_the_bytes(
    head: bytes, name: str, content_type: str
) -> None:
    assert sniff(head, name) == content_type
