"""The firm settings requests depend on, read in one place."""

from loket.notifications import notify


def notifications_enabled() -> bool:
    """Does the firm send e-mail notifications? The file-request wizard asks for
    an additional message only then (the firm's E-mail settings)."""
    return notify.notifications_enabled()
