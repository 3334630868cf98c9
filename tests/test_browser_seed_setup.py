"""The seed's whole story in Dutch, in real Chromium: an administrator adds a
contact, puts them in a new contact group by ticking them, activates the
account; the contact chooses a password from the e-mail; the entity is shared
with the group and the member sees the role under Overgenomen, then signs in
and finds the entity."""

from typing import Any

from django.core import mail

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.groups.models import Group
from tests.conftest import PASSWORD, make_user
from tests.test_browser_seed_flows import (
    DUTCH,
    Firm,
    NewPage,
    new_page,  # noqa: F401 - the fixture
    pytestmark,  # noqa: F401 - browser and transactional marks, skip rule
    share_and_check,
    sign_in,
)


def test_een_beheerder_zet_een_klant_op_en_deelt_de_entiteit(
    new_page: NewPage,  # noqa: F811
    live_server: Any,
) -> None:
    base = live_server.url
    admin = make_user(
        "anna@firm.test", kind=User.Kind.STAFF, role="administrator", language="nl"
    )
    entity = Entity.objects.create(name="Bakkerij de Vries BV", client_number="C-1")
    make_user("henk@client.test", first_name="Henk", language="nl")
    page = new_page(1280, 800)
    sign_in(page, base, admin.email)

    # Contactpersonen → Nieuw → Contactpersoon → Opslaan
    page.get_by_role("navigation").get_by_role("link", name="Contactpersonen").click()
    page.locator("summary", has_text="Nieuw").click()
    page.get_by_role("link", name="Contactpersoon", exact=True).click()
    page.get_by_label("E-mailadres").fill("gerda@client.test")
    page.get_by_label("Voornaam").fill("Gerda")
    page.get_by_label("Achternaam").fill("Visser")
    page.get_by_label("Klantentiteit").select_option(label=entity.name)
    page.get_by_role("button", name="Opslaan").click()
    page.get_by_role("button", name="Account activeren").click()
    gerda = User.objects.get(email="gerda@client.test")
    assert gerda.client_entity == entity
    assert gerda.state == User.State.INVITED

    # Groepen → Nieuw → Contactpersonengroep → Leden aanvinken → Opslaan
    page.get_by_role("navigation").get_by_role("link", name="Groepen").click()
    page.locator("summary", has_text="Nieuw").click()
    page.get_by_role("link", name="Contactpersonengroep", exact=True).click()
    page.get_by_label("Naam", exact=True).fill("Directie De Vries")
    page.get_by_label("Beschrijving").fill("De directie van de bakkerij")
    page.get_by_label("Gerda Visser · gerda@client.test").check()
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_load_state()
    group = Group.objects.get(name="Directie De Vries")
    assert group.kind == Group.Kind.CONTACT
    assert list(group.members.all()) == [gerda]
    assert Event.objects.filter(verb=Event.Verb.GROUP_MEMBER_ADDED).count() == 1

    # Gerda opens the invitation and chooses her password.
    link = next(w for w in mail.outbox[-1].body.split() if "/accounts/activate/" in w)
    invitee = new_page()
    invitee.goto(link)
    invitee.get_by_label("Nieuw wachtwoord", exact=True).fill(PASSWORD)
    invitee.get_by_label("Herhaal het nieuwe wachtwoord").fill(PASSWORD)
    invitee.get_by_role("button", name="Mijn account activeren").click()
    invitee.wait_for_url(f"{base}/")
    gerda.refresh_from_db()
    assert gerda.state == User.State.ACTIVE

    # Deel → the group as Contactpersoon - Entiteitsmedewerker; Overgenomen for
    # Gerda; Gerda signs in and finds the entity.
    share_and_check(new_page, base, Firm(admin, gerda, group, entity), DUTCH)
