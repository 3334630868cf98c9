"""The History pages: an entity's History tab and the firm-wide history, each
with filters and a CSV export of every matching event."""

import csv
import json
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from loket import access
from loket.access import Capability
from loket.audit.actions import ChainReport, verify_chain
from loket.audit.models import Event
from loket.core.http import signed_in_user
from loket.entities.models import Entity
from loket.entities.tabs import open_tab

PAGE_SIZE = 50
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MAX_VALUE = 80

# verify_chain() explains a break in English; these are the words shown.


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class HistoryFilterForm(forms.Form):
    who = forms.CharField(
        label=gettext_lazy("Who"),
        required=False,
        max_length=254,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": gettext_lazy("E-mail address")}
        ),
    )
    what = forms.ChoiceField(
        label=gettext_lazy("What"),
        required=False,
        choices=[("", gettext_lazy("Everything")), *Event.Verb.choices],
    )
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=_DateInput()
    )
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=_DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(
                gettext_lazy("The start date is after the end date.")
            )
        return data


class FirmHistoryFilterForm(HistoryFilterForm):
    entity = forms.CharField(
        label=gettext_lazy("Entity"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": gettext_lazy("Name or client number"),
            }
        ),
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _filtered(events: QuerySet[Event], form: HistoryFilterForm) -> QuerySet[Event]:
    """The events matching the form's valid fields."""
    form.is_valid()
    data = form.cleaned_data
    if data.get("who"):
        events = events.filter(actor_label__icontains=data["who"])
    if data.get("what"):
        events = events.filter(verb=data["what"])
    if data.get("start"):
        events = events.filter(created_at__gte=_day_start(data["start"]))
    if data.get("end"):
        end = _day_start(data["end"] + timedelta(days=1))
        events = events.filter(created_at__lt=end)
    if data.get("entity"):
        events = events.filter(
            Q(entity__name__icontains=data["entity"])
            | Q(entity__client_number__icontains=data["entity"])
        )
    return events.order_by("-id")


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_shown(item) for item in value) or "—"
    if isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def summarize(event: Event) -> str:
    """A short reading of an event's data: `field: old → new` for a change."""
    changed = event.verb.endswith(".changed")
    parts = []
    # Sorted: PostgreSQL's jsonb does not keep the order the keys were written in.
    for key, value in sorted((event.data or {}).items()):
        if isinstance(value, str) and _UUID.match(value):
            continue  # an id; the label or e-mail beside it reads better
        label = key.replace("_", " ")
        if changed and isinstance(value, list) and len(value) == 2:
            parts.append(f"{label}: {_shown(value[0])} → {_shown(value[1])}")
        else:
            parts.append(f"{label}: {_shown(value)}")
    return "; ".join(parts)


def _rows(events: list[Event]) -> list[dict[str, Any]]:
    return [{"event": event, "summary": summarize(event)} for event in events]


def _page(request: HttpRequest, events: QuerySet[Event]) -> dict[str, Any]:
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page": page, "rows": _rows(list(page.object_list))}


def _spreadsheet_safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


class _Echo:
    """A file-like object for csv.writer that hands back each line."""

    def write(self, value: str) -> str:
        return value


def _csv(events: QuerySet[Event], filename: str) -> StreamingHttpResponse:
    """Every event of `events` as CSV, streamed, with a BOM for spreadsheets."""
    language = translation.get_language()
    zone = timezone.get_current_timezone()
    writer = csv.writer(_Echo())
    header = [
        _("Time"),
        _("Who"),
        _("What"),
        _("Event code"),
        _("Target"),
        _("Entity"),
        _("Summary"),
        _("Data"),
        _("IP address"),
    ]

    def lines() -> Iterator[str]:
        with translation.override(language):
            yield "\ufeff" + writer.writerow(header)
            for event in events.select_related("entity").iterator(chunk_size=2000):
                cells = [
                    timezone.localtime(event.created_at, zone).isoformat(
                        sep=" ", timespec="seconds"
                    ),
                    event.actor_label,
                    event.get_verb_display(),
                    event.verb,
                    event.target_label,
                    event.entity.name if event.entity else "",
                    summarize(event),
                    json.dumps(event.data, ensure_ascii=False, sort_keys=True),
                    event.ip_address or "",
                ]
                yield writer.writerow([_spreadsheet_safe(str(c)) for c in cells])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _refused(form: HistoryFilterForm) -> HttpResponse:
    errors = [str(error) for errors in form.errors.values() for error in errors]
    return HttpResponse(
        "\n".join(errors), status=400, content_type="text/plain; charset=utf-8"
    )


def _entity_history(request: HttpRequest, entity_uuid: UUID) -> dict[str, Any]:
    return open_tab(request, entity_uuid, "history")


def entity_history(request: HttpRequest, entity_uuid: UUID) -> HttpResponse:
    context = _entity_history(request, entity_uuid)
    form = HistoryFilterForm(request.GET)
    events = _filtered(Event.objects.filter(entity=context["entity"]), form)
    context |= {"form": form} | _page(request, events)
    return render(request, "audit/entity_history.html", context)


def entity_history_csv(
    request: HttpRequest, entity_uuid: UUID
) -> HttpResponse | StreamingHttpResponse:
    entity: Entity = _entity_history(request, entity_uuid)["entity"]
    form = HistoryFilterForm(request.GET)
    if not form.is_valid():
        return _refused(form)
    name = slugify(entity.client_number or entity.name) or "entity"
    events = _filtered(Event.objects.filter(entity=entity), form)
    return _csv(events, f"history-{name}-{timezone.localdate():%Y-%m-%d}.csv")


def _chain_message(report: ChainReport) -> str:
    if report.intact:
        return ngettext(
            "History intact: %(count)s event.",
            "History intact: %(count)s events.",
            report.count,
        ) % {"count": report.count}
    reason = _(report.reason)  # marked with gettext_noop in audit.actions
    broken = _("The history is broken at event %(id)s: %(reason)s.") % {
        "id": report.broken_event_id,
        "reason": reason,
    }
    before = ngettext(
        "The %(count)s event before it is intact.",
        "The %(count)s events before it are intact.",
        report.count,
    ) % {"count": report.count}
    return f"{broken} {before}"


def firm_history(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    access.require(access.can(user, Capability.HISTORY_VIEW_ALL))
    form = FirmHistoryFilterForm(request.GET)
    events = _filtered(Event.objects.select_related("entity"), form)
    context: dict[str, Any] = {"form": form} | _page(request, events)
    if request.GET.get("verify"):
        report = verify_chain()
        context["chain"] = {"intact": report.intact, "message": _chain_message(report)}
    return render(request, "audit/firm_history.html", context)


def firm_history_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    user = signed_in_user(request)
    access.require(access.can(user, Capability.HISTORY_VIEW_ALL))
    form = FirmHistoryFilterForm(request.GET)
    if not form.is_valid():
        return _refused(form)
    events = _filtered(Event.objects.all(), form)
    return _csv(events, f"history-{timezone.localdate():%Y-%m-%d}.csv")
