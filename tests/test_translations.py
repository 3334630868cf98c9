"""The Dutch catalogue is complete, compiled and uses the seed's terms."""

import gettext
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "locale/nl/LC_MESSAGES/django.po"


def test_every_message_has_a_dutch_translation() -> None:
    catalogue = polib.pofile(str(PO))
    missing = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert missing == []
    assert fuzzy == []


def test_the_compiled_catalogue_matches_the_source() -> None:
    compiled = gettext.GNUTranslations(PO.with_suffix(".mo").open("rb"))
    for entry in polib.pofile(str(PO)).translated_entries():
        if entry.msgid_plural:
            continue
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        assert compiled._catalog.get(key) == entry.msgstr, (  # type: ignore[attr-defined]
            "run `make messages` to recompile locale/nl"
        )


def test_the_seed_terms_are_used() -> None:
    translations = {e.msgid: e.msgstr for e in polib.pofile(str(PO))}
    expected = {
        "Contacts": "Contactpersonen",
        "Save": "Opslaan",
        "Sign in": "Inloggen",
        "Staff Administrator": "Beheerder personeel",
        "Entity Administrator": "Beheerder entiteiten",
    }
    for english, dutch in expected.items():
        assert translations.get(english) == dutch, english
