from loket.contacts.forms import PersonForm


class StaffForm(PersonForm):
    """A staff member's details: e-mail address (the username), name, language."""
