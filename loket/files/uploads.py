"""The rules every upload passes before and after its bytes are stored.

`check_upload` runs before a single byte is kept: the name is cleaned, the size
and the extension checked. `sniff` looks at the bytes themselves once they are
in: the content type is taken from them, never from the client, and programs
(Windows, Linux and macOS executables, shell scripts, Windows installers and
shortcuts) are refused whatever their name says.

Compound File Binary (the container of .doc, .xls, .msg and also .msi) is
refused only when its root storage is a Windows Installer package: old Office
files are common in an accounting firm, installers are not.
"""

import mimetypes
import re
import unicodedata
from collections.abc import Callable
from pathlib import PurePosixPath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# How many bytes from the start of a file `sniff` looks at.
HEAD_SIZE = 8192
MAX_NAME_LENGTH = 255

# Extensions of programs, scripts, installers and shortcuts that run when opened.
BLOCKED_EXTENSIONS = frozenset(
    {
        "app",
        "appref-ms",
        "application",
        "appx",
        "appxbundle",
        "bash",
        "bat",
        "chm",
        "cmd",
        "com",
        "command",
        "cpl",
        "csh",
        "dll",
        "elf",
        "exe",
        "gadget",
        "hta",
        "inf",
        "ins",
        "isp",
        "jar",
        "jse",
        "js",
        "ksh",
        "lnk",
        "mjs",
        "msc",
        "msh",
        "msh1",
        "msh2",
        "mshxml",
        "msi",
        "msix",
        "msixbundle",
        "msp",
        "mst",
        "ocx",
        "pif",
        "ps1",
        "ps1xml",
        "ps2",
        "ps2xml",
        "psc1",
        "psc2",
        "psd1",
        "psm1",
        "reg",
        "run",
        "scf",
        "scr",
        "sct",
        "sh",
        "shb",
        "sys",
        "url",
        "vb",
        "vbe",
        "vbs",
        "vxd",
        "ws",
        "wsc",
        "wsf",
        "wsh",
        "xll",
        "zsh",
    }
)

# Names Windows refuses for a file, whatever the extension.
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"COM{n}" for n in range(1, 10)]
    + [f"LPT{n}" for n in range(1, 10)]
)
# Characters Windows does not allow in a name (the path separators go first).
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
# Control, format (bidi overrides, zero-width), surrogate and separator characters.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

# The Windows Installer's root storage class id, as stored in a CFB directory.
_MSI_CLSID = bytes.fromhex("84100c0000000000c000000000000046")
_CFB_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
_MACHO_MAGICS = (
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # a universal binary, and a Java class file
)
_PROGRAM_TYPES = frozenset({"application/x-msdownload", "application/x-executable"})
_WINDOWS_SHORTCUT = bytes.fromhex("4c0000000114020000000000c000000000000046")

ReadAt = Callable[[int, int], bytes]


def clean_filename(name: str) -> str:
    """`name` without path parts, control or invisible characters, characters
    Windows refuses, or leading and trailing dots and spaces; at most 255
    characters.

    Raises ValidationError when nothing usable is left."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        " " if char.isspace() else char
        for char in name
        if char.isspace() or unicodedata.category(char) not in _INVISIBLE_CATEGORIES
    )
    name = unicodedata.normalize("NFC", name)
    name = _WINDOWS_FORBIDDEN.sub("_", name)
    name = re.sub(r" {2,}", " ", name).strip(" .")
    if not name:
        raise ValidationError(
            _("This file name cannot be used. Rename the file and try again."),
            code="invalid_name",
        )
    if name.partition(".")[0].upper() in _WINDOWS_RESERVED:
        name = f"_{name}"
    if len(name) > MAX_NAME_LENGTH:
        name = _shortened(name)
    return name


def _shortened(name: str) -> str:
    """`name` cut to MAX_NAME_LENGTH characters, keeping a short extension."""
    extension = PurePosixPath(name).suffix
    if len(extension) > 20:
        extension = ""
    stem = name[: len(name) - len(extension)]
    stem = stem[: MAX_NAME_LENGTH - len(extension)].rstrip(" .")
    if not stem:
        return unicodedata.normalize("NFC", name[:MAX_NAME_LENGTH].rstrip(" ."))
    return unicodedata.normalize("NFC", stem + extension)


def extension_of(name: str) -> str:
    """The last extension of `name`, lower case, without the dot."""
    return PurePosixPath(name).suffix.lower().lstrip(".")


def check_upload(filename: str, size: int | None) -> str:
    """The cleaned `filename`, if a file of that name and `size` (in bytes, None
    when not known yet) may be uploaded; else ValidationError, before any byte
    is stored."""
    name = clean_filename(filename)
    if extension_of(name) in BLOCKED_EXTENSIONS:
        raise ValidationError(
            _(
                "“%(name)s” was not accepted: files of type .%(extension)s can run "
                "programs and are blocked, to keep everyone's computers safe."
            )
            % {"name": name, "extension": extension_of(name)},
            code="blocked_type",
        )
    if size is not None:
        if size < 0:
            raise ValidationError(_("The file size is not valid."), code="invalid")
        if size == 0:
            raise ValidationError(
                _("“%(name)s” is empty: there is nothing to upload.") % {"name": name},
                code="empty",
            )
        limit = settings.LOKET_MAX_UPLOAD_SIZE
        if size > limit:
            raise ValidationError(
                _(
                    "“%(name)s” is too large (%(size)s): the largest file accepted "
                    "is %(limit)s."
                )
                % {
                    "name": name,
                    "size": filesizeformat(size),
                    "limit": filesizeformat(limit),
                },
                code="too_large",
            )
    return name


def sniff(head: bytes, filename: str, read_at: ReadAt | None = None) -> str:
    """The content type of a file from its first bytes (`head`, up to HEAD_SIZE),
    or ValidationError for a program. `read_at(offset, size)` reads elsewhere in
    the file, for containers whose kind is not in the head."""
    if _is_program(head, read_at):
        raise ValidationError(
            _(
                "“%(name)s” was not accepted: it is a program or a script, which "
                "cannot be uploaded, to keep everyone's computers safe."
            )
            % {"name": filename},
            code="blocked_type",
        )
    kind = filetype.guess(head[:HEAD_SIZE])
    # filetype calls anything starting with "MZ" a program; _is_program knows better.
    if kind is not None and kind.mime not in _PROGRAM_TYPES:
        return str(kind.mime)
    if _is_text(head):
        guessed, _encoding = mimetypes.guess_type(filename, strict=False)
        # Only plain text types by name: an HTML or SVG file is served as text.
        if guessed in ("text/csv", "text/tab-separated-values", "text/calendar"):
            return guessed
        return "text/plain"
    return "application/octet-stream"


def _is_program(head: bytes, read_at: ReadAt | None) -> bool:
    if head.startswith(b"#!"):
        return True
    if head.startswith(b"\x7fELF") or head.startswith(_MACHO_MAGICS):
        return True
    if head.startswith(_WINDOWS_SHORTCUT):
        return True
    if head.startswith(b"MZ") and _is_windows_program(head):
        return True
    return head.startswith(_CFB_MAGIC) and _is_windows_installer(head, read_at)


def _is_windows_program(head: bytes) -> bool:
    """A DOS or Windows (PE) executable: "MZ", then binary header fields. A text
    file that happens to start with "MZ" has no NUL byte in its first 64."""
    if len(head) >= 0x40:
        pe_offset = int.from_bytes(head[0x3C:0x40], "little")
        if head[pe_offset : pe_offset + 4] == b"PE\0\0":
            return True
    return b"\0" in head[:64]


def _is_windows_installer(head: bytes, read_at: ReadAt | None) -> bool:
    """A Compound File Binary whose root storage has the Windows Installer's
    class id (.msi, .msp, .mst). Its directory may lie anywhere in the file."""
    if len(head) < 0x40:
        return False
    sector_size = 1 << int.from_bytes(head[0x1E:0x20], "little")
    first_directory_sector = int.from_bytes(head[0x30:0x34], "little")
    if sector_size not in (512, 4096) or first_directory_sector >= 0xFFFFFFFA:
        return False
    # The root entry is the first directory entry; its class id is at 0x50.
    offset = (first_directory_sector + 1) * sector_size + 0x50
    if offset + 16 <= len(head):
        clsid = head[offset : offset + 16]
    elif read_at is not None:
        clsid = read_at(offset, 16)
    else:
        return False
    return clsid == _MSI_CLSID


def _is_text(head: bytes) -> bool:
    if b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the head is still text.
        if error.start < len(head) - 3:
            return _is_single_byte_text(head)
    return True


def _is_single_byte_text(head: bytes) -> bool:
    """Latin-1 / Windows-1252 text: printable bytes, tabs and line breaks."""
    controls = sum(1 for byte in head if byte < 0x20 and byte not in (9, 10, 12, 13))
    return controls == 0
