"""The History pages: an entity's History tab, the firm-wide history, their
filters and CSV exports, and the integrity check."""

import csv
import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from loket.accounts.models import User
from loket.audit import triggers
from loket.audit.actions import record
from loket.audit.models import Event
from loket.entities.actions import update_entity
from loket.entities.models import Entity
from tests.conftest import ClientFor

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")  # the TIME_ZONE of the settings


def _at(when: dt.datetime, verb: Event.Verb, actor: User, **kwargs: Any) -> Event:
    with time_machine.travel(when, tick=False):
        return record(verb, actor=actor, **kwargs)


def _verbs(response: Any) -> list[str]:
    return [row["event"].verb for row in response.context["rows"]]


def _csv_rows(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def _history(entity: Entity) -> str:
    return f"/entities/{entity.uuid}/history/"


def _history_csv(entity: Entity) -> str:
    return f"/entities/{entity.uuid}/history.csv"


@pytest.fixture
def timeline(staff_owner: User, contact: User, entity: Entity) -> list[Event]:
    """Three events on `entity` in spring 2026, by two people."""
    return [
        _at(
            dt.datetime(2026, 3, 1, 9, 0, tzinfo=AMSTERDAM),
            Event.Verb.ENTITY_CHANGED,
            staff_owner,
            target=entity,
            data={"city": ["", "Utrecht"]},
        ),
        _at(
            dt.datetime(2026, 3, 31, 23, 30, tzinfo=AMSTERDAM),
            Event.Verb.ENTITY_ARCHIVED,
            staff_owner,
            target=entity,
        ),
        _at(
            dt.datetime(2026, 4, 2, 8, 15, tzinfo=AMSTERDAM),
            Event.Verb.ENTITY_RESTORED,
            contact,
            target=entity,
        ),
    ]


# Who may open what.


def test_anonymous_is_sent_to_sign_in(client: Client, entity: Entity) -> None:
    urls = [
        _history(entity),
        _history_csv(entity),
        "/settings/history/",
        "/settings/history/export.csv",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/sign-in/?next="), url


@pytest.mark.parametrize("persona", ["outsider", "staff_member"])
def test_those_who_cannot_see_the_entity_get_404(
    request: pytest.FixtureRequest, client_for: ClientFor, persona: str, entity: Entity
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get(_history(entity)).status_code == 404
    assert client.get(_history_csv(entity)).status_code == 404


@pytest.mark.parametrize("persona", ["viewer_contact", "contact", "group_contact"])
def test_contacts_may_not_see_the_history(
    request: pytest.FixtureRequest, client_for: ClientFor, persona: str, entity: Entity
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get(_history(entity)).status_code == 403
    assert client.get(_history_csv(entity)).status_code == 403


@pytest.mark.parametrize("persona", ["staff_reader", "staff_owner", "entity_admin"])
def test_staff_with_history_view_see_the_tab(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    persona: str,
    entity: Entity,
    timeline: list[Event],
) -> None:
    response = client_for(request.getfixturevalue(persona)).get(_history(entity))
    assert response.status_code == 200
    assert len(response.context["rows"]) == 3


def test_firm_history_is_for_administrators(
    client_for: ClientFor,
    firm_admin: User,
    staff_owner: User,
    entity_admin: User,
    contact: User,
) -> None:
    assert client_for(firm_admin).get("/settings/history/").status_code == 200
    for user in (staff_owner, entity_admin, contact):
        client = client_for(user)
        assert client.get("/settings/history/").status_code == 403
        assert client.get("/settings/history/export.csv").status_code == 403


# The History tab.


def test_the_tab_shows_the_entitys_events_newest_first(
    client_for: ClientFor,
    staff_reader: User,
    entity: Entity,
    other_entity: Entity,
    timeline: list[Event],
) -> None:
    record(Event.Verb.ENTITY_ARCHIVED, actor=staff_reader, target=other_entity)
    response = client_for(staff_reader).get(_history(entity))
    assert _verbs(response) == [
        Event.Verb.ENTITY_RESTORED,
        Event.Verb.ENTITY_ARCHIVED,
        Event.Verb.ENTITY_CHANGED,
    ]
    html = response.content.decode()
    assert "Entity restored" in html
    assert "daan@client.test" in html
    assert "city: — → Utrecht" in html
    # 2026-03-31 23:30 in Amsterdam is shown in local time, not UTC.
    assert "31 Mar 2026 23:30" in html


def test_a_change_reads_old_to_new(
    client_for: ClientFor, staff_owner: User, entity: Entity
) -> None:
    update_entity(entity, actor=staff_owner, name="De Vries Holding", city="Zeist")
    response = client_for(staff_owner).get(_history(entity))
    summary = response.context["rows"][0]["summary"]
    assert summary == "city: — → Zeist; name: Bakkerij de Vries BV → De Vries Holding"


def test_the_tab_filters_by_who(
    client_for: ClientFor, staff_reader: User, entity: Entity, timeline: list[Event]
) -> None:
    response = client_for(staff_reader).get(_history(entity) + "?who=DAAN@")
    assert _verbs(response) == [Event.Verb.ENTITY_RESTORED]


def test_the_tab_filters_by_what(
    client_for: ClientFor, staff_reader: User, entity: Entity, timeline: list[Event]
) -> None:
    client = client_for(staff_reader)
    response = client.get(_history(entity) + "?what=entity.archived")
    assert _verbs(response) == [Event.Verb.ENTITY_ARCHIVED]
    assert '<option value="entity.archived" selected>Entity archived</option>' in (
        response.content.decode()
    )


def test_the_tab_filters_by_when_with_whole_local_days(
    client_for: ClientFor, staff_reader: User, entity: Entity, timeline: list[Event]
) -> None:
    client = client_for(staff_reader)
    march = client.get(_history(entity) + "?start=2026-03-02&end=2026-03-31")
    assert _verbs(march) == [Event.Verb.ENTITY_ARCHIVED]
    since = client.get(_history(entity) + "?start=2026-04-01")
    assert _verbs(since) == [Event.Verb.ENTITY_RESTORED]
    until = client.get(_history(entity) + "?end=2026-03-01")
    assert _verbs(until) == [Event.Verb.ENTITY_CHANGED]


def test_a_backwards_period_is_explained(
    client_for: ClientFor, staff_reader: User, entity: Entity, timeline: list[Event]
) -> None:
    response = client_for(staff_reader).get(
        _history(entity) + "?start=2026-04-01&end=2026-03-01"
    )
    assert response.status_code == 200
    assert b"The start date is after the end date." in response.content
    assert _verbs(response) == []


def test_a_garbled_date_is_explained_and_ignored(
    client_for: ClientFor, staff_reader: User, entity: Entity, timeline: list[Event]
) -> None:
    response = client_for(staff_reader).get(_history(entity) + "?start=yesterday")
    assert response.status_code == 200
    assert "start" in response.context["form"].errors
    assert len(_verbs(response)) == 3


def test_the_tab_pages_by_fifty_and_keeps_the_filters(
    client_for: ClientFor, staff_reader: User, entity: Entity
) -> None:
    for _ in range(60):
        record(Event.Verb.ENTITY_CHANGED, actor=staff_reader, target=entity)
    client = client_for(staff_reader)
    first = client.get(_history(entity) + "?what=entity.changed")
    assert len(first.context["rows"]) == 50
    assert "?what=entity.changed&amp;page=2" in first.content.decode()
    second = client.get(_history(entity) + "?what=entity.changed&page=2")
    assert len(second.context["rows"]) == 10


def _tab_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_tab_uses_a_bounded_number_of_queries(
    client_for: ClientFor, staff_reader: User, entity: Entity, timeline: list[Event]
) -> None:
    client = client_for(staff_reader)
    client.get(_history(entity))
    small = _tab_queries(client, _history(entity))
    assert small <= 12
    for n in range(70):
        record(
            Event.Verb.ENTITY_CHANGED,
            actor=staff_reader,
            target=entity,
            data={"name": [f"Old {n}", f"New {n}"]},
        )
    assert _tab_queries(client, _history(entity)) == small


# The entity's CSV export.


def test_the_csv_holds_every_matching_event(
    client_for: ClientFor, staff_reader: User, entity: Entity, timeline: list[Event]
) -> None:
    for _ in range(60):
        record(Event.Verb.ENTITY_CHANGED, actor=staff_reader, target=entity)
    response = client_for(staff_reader).get(_history_csv(entity))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="history-c-1001-' in response["Content-Disposition"]
    rows = _csv_rows(response)
    assert rows[0][:3] == ["Time", "Who", "What"]
    assert len(rows) == 1 + 63
    oldest = rows[-1]
    assert oldest[0] == "2026-03-01 09:00:00+01:00"
    assert oldest[1] == "olga@firm.test"
    assert oldest[2] == "Entity changed"
    assert oldest[3] == "entity.changed"
    assert oldest[4] == "Bakkerij de Vries BV"
    assert oldest[6] == "city: — → Utrecht"
    assert oldest[7] == '{"city": ["", "Utrecht"]}'


def test_the_tab_links_to_the_csv_with_its_filters(
    client_for: ClientFor, staff_reader: User, entity: Entity
) -> None:
    response = client_for(staff_reader).get(_history(entity) + "?who=olga&page=1")
    assert f'href="{_history_csv(entity)}?who=olga"'.encode() in response.content


def test_the_csv_uses_the_same_filters(
    client_for: ClientFor, staff_reader: User, entity: Entity, timeline: list[Event]
) -> None:
    client = client_for(staff_reader)
    rows = _csv_rows(client.get(_history_csv(entity) + "?who=olga&start=2026-03-02"))
    assert [row[3] for row in rows[1:]] == ["entity.archived"]


def test_the_csv_defuses_spreadsheet_formulas(
    client_for: ClientFor, staff_owner: User, entity: Entity
) -> None:
    update_entity(entity, actor=staff_owner, name='=HYPERLINK("http://evil.test")')
    rows = _csv_rows(client_for(staff_owner).get(_history_csv(entity)))
    assert rows[1][4] == '\'=HYPERLINK("http://evil.test")'
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in rows[1])


def test_the_csv_refuses_a_garbled_filter(
    client_for: ClientFor, staff_reader: User, entity: Entity
) -> None:
    response = client_for(staff_reader).get(_history_csv(entity) + "?end=someday")
    assert response.status_code == 400
    assert b"Enter a valid date." in response.content


# The firm-wide history.


def test_firm_history_shows_every_event(
    client_for: ClientFor,
    firm_admin: User,
    entity: Entity,
    other_entity: Entity,
    timeline: list[Event],
) -> None:
    record(Event.Verb.SIGNED_IN, actor=firm_admin, target=firm_admin)
    record(Event.Verb.ENTITY_ARCHIVED, actor=firm_admin, target=other_entity)
    response = client_for(firm_admin).get("/settings/history/")
    assert len(response.context["rows"]) == 5
    html = response.content.decode()
    assert f'href="/entities/{other_entity.uuid}/history/"' in html
    assert "Signed in" in html


def test_firm_history_filters_by_entity_and_the_rest(
    client_for: ClientFor,
    firm_admin: User,
    entity: Entity,
    other_entity: Entity,
    timeline: list[Event],
) -> None:
    record(Event.Verb.ENTITY_ARCHIVED, actor=firm_admin, target=other_entity)
    client = client_for(firm_admin)
    garage = client.get("/settings/history/?entity=garage")
    assert [r["event"].entity for r in garage.context["rows"]] == [other_entity]
    by_number = client.get("/settings/history/?entity=C-1001&what=entity.archived")
    assert [r["event"].pk for r in by_number.context["rows"]] == [timeline[1].pk]
    who = client.get("/settings/history/?who=anna@")
    assert [r["event"].entity for r in who.context["rows"]] == [other_entity]


def test_firm_csv_holds_every_matching_event(
    client_for: ClientFor,
    firm_admin: User,
    other_entity: Entity,
    timeline: list[Event],
) -> None:
    record(Event.Verb.ENTITY_ARCHIVED, actor=firm_admin, target=other_entity)
    client = client_for(firm_admin)
    rows = _csv_rows(client.get("/settings/history/export.csv"))
    assert len(rows) == 1 + 4
    assert rows[1][5] == "Garage Jansen VOF"
    only_garage = _csv_rows(client.get("/settings/history/export.csv?entity=garage"))
    assert [row[5] for row in only_garage[1:]] == ["Garage Jansen VOF"]


def test_firm_history_uses_a_bounded_number_of_queries(
    client_for: ClientFor,
    firm_admin: User,
    entity: Entity,
    other_entity: Entity,
    timeline: list[Event],
) -> None:
    client = client_for(firm_admin)
    client.get("/settings/history/")
    small = _tab_queries(client, "/settings/history/")
    assert small <= 10
    for n in range(30):
        extra = Entity.objects.create(name=f"Client {n}")
        record(Event.Verb.ENTITY_ARCHIVED, actor=firm_admin, target=extra)
        record(Event.Verb.ENTITY_RESTORED, actor=firm_admin, target=other_entity)
    assert _tab_queries(client, "/settings/history/") == small


def test_the_check_reports_an_intact_history(
    client_for: ClientFor, firm_admin: User, timeline: list[Event]
) -> None:
    client = client_for(firm_admin)
    assert b"History intact" not in client.get("/settings/history/").content
    response = client.get("/settings/history/?verify=1")
    assert response.context["chain"]["intact"] is True
    assert "History intact: 3 events." in response.content.decode()


def test_the_check_reports_a_broken_history(
    client_for: ClientFor, firm_admin: User, timeline: list[Event]
) -> None:
    triggers.drop(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_event SET actor_label = %s WHERE id = %s",
            ["mallory@evil.test", timeline[1].pk],
        )
    response = client_for(firm_admin).get("/settings/history/?verify=1")
    assert response.context["chain"]["intact"] is False
    assert (
        f"The history is broken at event {timeline[1].pk}: its content does not "
        "match its hash. The 1 event before it is intact."
    ) in response.content.decode()
