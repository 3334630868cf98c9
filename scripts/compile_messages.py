"""Compile locale/*/LC_MESSAGES/*.po into .mo files with polib (no GNU gettext
needed), so a fresh machine with only Python can run Loket in Dutch."""

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    for po_path in sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po")):
        catalogue = polib.pofile(str(po_path))
        catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
        print(
            f"compiled {po_path.relative_to(ROOT)}: {catalogue.percent_translated()}%"
        )


if __name__ == "__main__":
    main()
