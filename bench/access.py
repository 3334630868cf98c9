"""How fast loket.access answers in a large firm, on SQLite and on PostgreSQL.

    .venv/bin/python bench/access.py                  # both databases, full size
    .venv/bin/python bench/access.py --sqlite-only --scale 0.1
    .venv/bin/python bench/access.py --keep; .venv/bin/python bench/access.py --reuse

Seeds a throw-away database (SQLite: a temporary file; PostgreSQL: a database
`loket_bench` created and dropped on the server of DATABASE_URL, by default
postgres://postgres@127.0.0.1:5432/postgres) with 10,000 entities, 50,000
contacts, 1,000 groups and 200,000 role assignments, then times the real code
path for three personas: a contact, a staff member in many groups and an
administrator. The last line printed is JSON, each figure the worst persona's.
Results and the machine they were measured on go in docs/performance.md.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "loket_bench"
# Where --keep leaves the seeded SQLite file and what each kept firm was seeded with.
KEPT_DIR = ROOT / "var" / "bench"
DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
BATCH = 5000
# Goals (ms): can() median per backend, first page of visible entities.
GOAL_CAN = {"sqlite": 1.0, "postgresql": 2.0}
GOAL_PAGE = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--sqlite-only", action="store_true")
    only.add_argument("--postgres-only", action="store_true")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 is full size")
    parser.add_argument("--repeat", type=int, default=1000, help="calls per figure")
    parser.add_argument("--seed", type=int, default=2024)
    kept = parser.add_mutually_exclusive_group()
    kept.add_argument(
        "--keep",
        action="store_true",
        help=f"keep the seeded firm (SQLite in {KEPT_DIR.relative_to(ROOT)}/, "
        f"PostgreSQL database {BENCH_DB}) for --reuse",
    )
    kept.add_argument(
        "--reuse",
        action="store_true",
        help="measure the firm kept by an earlier --keep run instead of seeding",
    )
    parser.add_argument(
        "--try-access",
        metavar="FOLDER",
        help="time this modified copy of loket/access/ instead (to try a fix)",
    )
    parser.add_argument(
        "--try-sql",
        metavar="STATEMENT",
        action="append",
        default=[],
        help="run this SQL after migrating, e.g. a CREATE INDEX to try (repeatable)",
    )
    parser.add_argument("--backend", help=argparse.SUPPRESS)  # the child's job
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backend:
        _child(args)
        return
    backends = ["sqlite", "postgresql"]
    if args.sqlite_only:
        backends = ["sqlite"]
    elif args.postgres_only:
        backends = ["postgresql"]
    summary = {}
    for backend in backends:
        summary[backend] = _run_backend(backend, args)
    print(json.dumps(summary))


# The parent: one child process per database, since Django's settings are read
# once per process.


def _run_backend(backend: str, args: argparse.Namespace) -> dict[str, float]:
    kept = args.keep or args.reuse
    firm_file = KEPT_DIR / f"{backend}.json"
    if args.reuse:
        if not firm_file.exists():
            sys.exit(f"no kept {backend} firm: run once with --keep first")
        firm = json.loads(firm_file.read_text())
        args.scale, args.seed = firm["scale"], firm["seed"]
    with tempfile.TemporaryDirectory(prefix="loket-bench-") as tmp:
        var_dir = KEPT_DIR if kept else Path(tmp)
        if args.keep:
            firm_file.unlink(missing_ok=True)
            if backend == "sqlite":
                for suffix in ("", "-wal", "-shm"):
                    (var_dir / f"loket.sqlite3{suffix}").unlink(missing_ok=True)
        var_dir.mkdir(parents=True, exist_ok=True)
        env = dict(
            os.environ,
            LOKET_VAR_DIR=str(var_dir),
            DJANGO_SETTINGS_MODULE="config.settings",
        )
        env.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
        env["DEBUG"] = "false"
        admin_url = os.environ.get("DATABASE_URL") or DEFAULT_ADMIN_URL
        if backend == "sqlite":
            env.pop("DATABASE_URL", None)
        else:
            if not args.reuse:
                firm_file.unlink(missing_ok=True)  # a kept firm is gone now
                _postgres(admin_url, f"DROP DATABASE IF EXISTS {BENCH_DB}")
                _postgres(admin_url, f"CREATE DATABASE {BENCH_DB}")
            env["DATABASE_URL"] = _with_database(admin_url, BENCH_DB)
        result = Path(tmp) / "result.json"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            f"--backend={backend}",
            f"--result={result}",
            f"--scale={args.scale}",
            f"--repeat={args.repeat}",
            f"--seed={args.seed}",
        ]
        if args.reuse:
            command.append("--reuse")
        if args.try_access:
            command.append(f"--try-access={Path(args.try_access).resolve()}")
        command += [f"--try-sql={statement}" for statement in args.try_sql]
        try:
            subprocess.run(command, env=env, cwd=ROOT, check=True)  # noqa: S603
        finally:
            if backend == "postgresql" and not kept:
                _postgres(admin_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        if args.keep:
            firm_file.write_text(json.dumps({"scale": args.scale, "seed": args.seed}))
        figures: dict[str, float] = json.loads(result.read_text())
        return figures


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _postgres(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(
        _with_database(admin_url, urlsplit(admin_url).path.lstrip("/") or "postgres"),
        autocommit=True,
    ) as connection:
        connection.execute(sql.encode())


# The child: set Django up on the throw-away database, seed, measure.


def _child(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    if args.try_access:
        _import_access_from(args.try_access)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    print(f"\n== {vendor} ({connection.settings_dict['NAME']}), scale {args.scale}")
    for statement in args.try_sql:
        print(f"trying: {statement}")
        with connection.cursor() as cursor:
            cursor.execute(statement)
    if args.try_access:
        from loket import access

        print(f"trying: {access.__file__}")
    started = time.perf_counter()
    if args.reuse:
        personas = _kept_personas()
        print(f"reusing the kept firm: {_counts()}")
    else:
        personas = _seed(args.scale, random.Random(args.seed))
        if vendor == "postgresql":
            # What autovacuum does soon after a bulk load; done now, it does not
            # run during the measurements.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        print(f"seeded in {time.perf_counter() - started:.0f} s: {_counts()}")
    figures = _measure(personas, args.repeat, random.Random(args.seed))
    worst = {key: max(persona[key] for persona in figures.values()) for key in KEYS}
    goal_can = GOAL_CAN[vendor]
    for key, value in worst.items():
        goal = goal_can if key == "can_median_ms" else GOAL_PAGE
        mark = (
            ""
            if not key.endswith("median_ms")
            else (f"  (goal < {goal:.0f} ms: {'met' if value < goal else 'MISSED'})")
        )
        print(f"worst {key}: {value:.3f}{mark}")
    Path(args.result).write_text(json.dumps({k: round(v, 3) for k, v in worst.items()}))


def _import_access_from(path: str) -> None:
    """Make `import loket.access` load the package in folder `path`."""
    import importlib.abc
    import importlib.machinery
    import importlib.util

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(
            self, name: str, path_: Any, target: Any = None
        ) -> importlib.machinery.ModuleSpec | None:
            if name != "loket.access":
                return None
            return importlib.util.spec_from_file_location(
                name,
                Path(path) / "__init__.py",
                submodule_search_locations=[str(path)],
            )

    sys.meta_path.insert(0, Finder())


KEYS = [
    "can_median_ms",
    "can_p99_ms",
    "visible_first_page_median_ms",
    "visible_first_page_p99_ms",
]


def _counts() -> str:
    from loket.accounts.models import User
    from loket.entities.models import Entity
    from loket.groups.models import Group, GroupMembership
    from loket.roles.models import RoleAssignment

    return (
        f"{Entity.objects.count()} entities, "
        f"{User.objects.filter(kind='contact').count()} contacts, "
        f"{User.objects.filter(kind='staff').count()} staff, "
        f"{Group.objects.count()} groups, "
        f"{GroupMembership.objects.count()} memberships, "
        f"{RoleAssignment.objects.count()} role assignments"
    )


def _seed(scale: float, rnd: random.Random) -> dict[str, Any]:
    """The firm; returns the three personas and the entities to ask about."""
    from loket.accounts.models import User
    from loket.entities.models import Entity
    from loket.groups.models import Group, GroupMembership
    from loket.roles.models import Role, RoleAssignment

    def n(full: int, least: int = 1) -> int:
        return max(least, round(full * scale))

    roles = {r.key: r for r in Role.objects.all()}
    entities = Entity.objects.bulk_create(
        (
            Entity(name=f"{rnd.choice(NAMES)} {rnd.choice(KINDS)} {i}")
            for i in range(n(10_000, 100))
        ),
        batch_size=BATCH,
    )
    states = [User.State.ACTIVE] * 18 + [User.State.INVITED, User.State.DEACTIVATED]
    contacts = User.objects.bulk_create(
        (
            User(
                email=f"contact{i}@client.test",
                password="!",  # noqa: S106 (unusable)
                first_name=rnd.choice(NAMES),
                last_name="Client",
                kind=User.Kind.CONTACT,
                state=rnd.choice(states),
            )
            for i in range(n(50_000, 500))
        ),
        batch_size=BATCH,
    )
    staff = User.objects.bulk_create(
        (
            User(
                email=f"staff{i}@firm.test",
                password="!",  # noqa: S106 (unusable)
                first_name=rnd.choice(NAMES),
                last_name="Staff",
                kind=User.Kind.STAFF,
                state=User.State.ACTIVE,
            )
            for i in range(n(300, 30))
        ),
        batch_size=BATCH,
    )
    n_groups = n(1000, 20)
    n_staff_groups = max(5, n_groups // 10)
    staff_groups = Group.objects.bulk_create(
        Group(kind=Group.Kind.STAFF, name=f"Team {i}") for i in range(n_staff_groups)
    )
    contact_groups = Group.objects.bulk_create(
        Group(kind=Group.Kind.CONTACT, name=f"Board {i}")
        for i in range(n_groups - n_staff_groups)
    )
    # Groups have 10-100 members; the staff persona is in a third of the teams.
    staff_persona, admin_persona = staff[0], staff[1]
    members: list[Any] = []
    for group in staff_groups:
        chosen = rnd.sample(staff[2:], min(len(staff) - 2, rnd.randint(10, 100)))
        members += [GroupMembership(group=group, user=u) for u in chosen]
    for group in staff_groups[: max(3, len(staff_groups) // 3)]:
        members.append(GroupMembership(group=group, user=staff_persona))
    for group in contact_groups:
        chosen = rnd.sample(contacts, rnd.randint(10, 100))
        members += [GroupMembership(group=group, user=u) for u in chosen]
    GroupMembership.objects.bulk_create(members, batch_size=BATCH)

    budget = n(200_000, 2000)
    assignments: list[Any] = []
    # Firm-wide roles for some staff; the administrator persona among them.
    firm_roles = [
        "staff-administrator",
        "entity-administrator",
        "settings-administrator",
    ]
    assignments.append(RoleAssignment(user=admin_persona, role=roles["administrator"]))
    for user in staff[2:12]:
        assignments.append(
            RoleAssignment(user=user, role=roles[rnd.choice(firm_roles)])
        )
    assignments.append(RoleAssignment(group=staff_groups[-1], role=roles["reader"]))
    # Contacts: most have 1-3 entities of their own.
    contact_roles = [roles["contact-entity-staff"], roles["contact-entity-access"]]
    for user in contacts:
        for entity in rnd.sample(entities, rnd.choice([1, 1, 1, 2, 2, 3])):
            assignments.append(
                RoleAssignment(user=user, entity=entity, role=rnd.choice(contact_roles))
            )
    # Contact groups: a board on 1-5 entities.
    for group in contact_groups:
        for entity in rnd.sample(entities, rnd.randint(1, 5)):
            assignments.append(
                RoleAssignment(
                    group=group, entity=entity, role=rnd.choice(contact_roles)
                )
            )
    # Staff: owner of a handful of entities each.
    staff_roles = [roles["owner"], roles["editor"], roles["reader"]]
    for user in staff[:-10]:
        for entity in rnd.sample(entities, min(len(entities), 30)):
            assignments.append(
                RoleAssignment(user=user, entity=entity, role=rnd.choice(staff_roles))
            )
    # Teams: the rest of the budget, spread over the staff groups' portfolios.
    teams = staff_groups[:-1]
    share, extra = divmod(max(0, budget - len(assignments)), len(teams))
    for i, group in enumerate(teams):
        size = min(len(entities), share + (1 if i < extra else 0))
        for entity in rnd.sample(entities, size):
            assignments.append(
                RoleAssignment(group=group, entity=entity, role=rnd.choice(staff_roles))
            )
    RoleAssignment.objects.bulk_create(assignments, batch_size=BATCH)

    # The contact persona: active, in two boards, with entities of their own.
    contact_persona = next(u for u in contacts if u.state == User.State.ACTIVE)
    GroupMembership.objects.bulk_create(
        [GroupMembership(group=g, user=contact_persona) for g in contact_groups[:2]],
        ignore_conflicts=True,
    )
    return {
        "personas": {
            "contact": contact_persona,
            "staff member in many groups": staff_persona,
            "administrator": admin_persona,
        },
        "entities": entities,
    }


def _kept_personas() -> dict[str, Any]:
    """The personas and entities `_seed` returned, found again in a kept firm."""
    from loket.accounts.models import User
    from loket.entities.models import Entity

    contacts = User.objects.filter(kind=User.Kind.CONTACT, state=User.State.ACTIVE)
    return {
        "personas": {
            "contact": contacts.order_by("pk")[0],
            "staff member in many groups": User.objects.get(email="staff0@firm.test"),
            "administrator": User.objects.get(email="staff1@firm.test"),
        },
        "entities": list(Entity.objects.order_by("pk")),
    }


NAMES = [
    "Jansen",
    "de Vries",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
]
KINDS = ["BV", "VOF", "Holding", "Stichting", "Beheer", "NV", "en Zonen"]


def _measure(
    seeded: dict[str, Any], repeat: int, rnd: random.Random
) -> dict[str, dict[str, float]]:
    from loket import access
    from loket.entities.models import Entity

    figures = {}
    entities: list[Entity] = seeded["entities"]
    for name, user in seeded["personas"].items():
        # can() is asked about entities the persona sees and ones it does not.
        own = list(access.visible_entities(user).order_by("?")[:50])
        asked = [
            rnd.choice(own if own and rnd.random() < 0.5 else entities)
            for _ in range(repeat)
        ]
        can = _time(_can(user, asked), repeat)
        page = _time(_first_page(user), repeat)
        visible = access.visible_entities(user).count()
        figures[name] = {
            "can_median_ms": statistics.median(can),
            "can_p99_ms": _p99(can),
            "visible_first_page_median_ms": statistics.median(page),
            "visible_first_page_p99_ms": _p99(page),
        }
        f = figures[name]
        print(
            f"{name:28} sees {visible:6} entities | can() median "
            f"{f['can_median_ms']:.3f} ms, p99 {f['can_p99_ms']:.3f} ms | first page "
            f"median {f['visible_first_page_median_ms']:.3f} ms, "
            f"p99 {f['visible_first_page_p99_ms']:.3f} ms"
        )
    return figures


def _can(user: Any, asked: list[Any]) -> Callable[[int], object]:
    from loket import access
    from loket.access import Capability

    return lambda i: access.can(user, Capability.FILES_VIEW, asked[i])


def _first_page(user: Any) -> Callable[[int], object]:
    from loket import access

    return lambda i: list(access.visible_entities(user).order_by("name")[:50])


def _time(call: Callable[[int], object], repeat: int) -> list[float]:
    for i in range(min(20, repeat)):  # warm the caches
        call(i)
    timings = []
    for i in range(repeat):
        started = time.perf_counter_ns()
        call(i)
        timings.append((time.perf_counter_ns() - started) / 1e6)
    return timings


def _p99(timings: list[float]) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


if __name__ == "__main__":
    main()
