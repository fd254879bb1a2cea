#!/usr/bin/env python
"""Screen-pop benchmark (CUS-4): p50/p99 of the selector and of the HTTP
endpoint with 1,000,000 customers and 2,000,000 phone numbers, on SQLite and
on PostgreSQL.

    python bench/screen_pop.py [--customers N] [--lookups N]
                               [--postgres URL | --no-postgres] [--no-sqlite] [--keep]

Each database runs in a child process of its own (Django is configured once
per process): a temporary SQLite file in WAL mode, and, when the server is
reachable, a PostgreSQL database created for the run and dropped after it
(never the ``test`` database). The data is written with bulk SQL (executemany
in batches on SQLite, COPY on PostgreSQL) inside one transaction; then 2,000
random lookups (80% known numbers in assorted formats, 20% unknown) are timed
through the selector and through the API with a signed-in session.
"""

import argparse
import gc
import json
import random
import statistics
import sys
import time
from pathlib import Path

import benchlib

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/hotline_bench"
TARGETS = {"selector": 10.0, "endpoint": 30.0}
BATCH = 50_000
AGENTS = 50
SEED = 20260107

PRIMARY_PREFIXES = [f"13{d}" for d in range(10)]
SECOND_PREFIXES = [f"18{d}" for d in range(10)]
UNKNOWN_PREFIXES = ["150", "151", "152", "153", "155", "156", "157", "158", "159"]


# --- numbers ------------------------------------------------------------------


def primary_number(i: int) -> str:
    return f"+86{PRIMARY_PREFIXES[i % 10]}{(i * 7919) % 10**8:08d}"


def second_number(i: int) -> str:
    """A mobile for even customers, a Shenzhen landline for odd ones."""
    if i % 2 == 0:
        return f"+86{SECOND_PREFIXES[i % 10]}{(i * 104723) % 10**8:08d}"
    return f"+86755{2 + i % 7}{(i * 104729) % 10**7:07d}"


def as_presented(e164: str, rng: random.Random) -> str:
    """The number as a carrier or an agent might write it."""
    national = e164[3:]
    if national.startswith("755"):
        national = "0" + national
    spaced = f"{national[:3]} {national[3:7]} {national[7:]}"
    return rng.choice(
        [e164, national, "0086" + e164[3:], "+86 " + spaced, national[:3] + "-" + national[3:]]
    )


# --- parent: run each database in a child and print the table -------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=2_000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, metavar="URL")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the databases for inspection")
    parser.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_child(backend: str, args, database_url: str, data_dir: str) -> dict | None:
    options = ["--customers", str(args.customers), "--lookups", str(args.lookups)]
    return benchlib.run_child(__file__, backend, options, database_url, data_dir)


def print_table(results: list[dict]) -> None:
    header = (
        f"{'database':<11}{'measure':<10}{'N':>6}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}  target"
    )
    print()
    print(f"Screen pop: {results[0]['customers']:,} customers, {results[0]['phones']:,} phones")
    print(header)
    print("-" * len(header))
    for result in results:
        for measure in ("selector", "endpoint"):
            row = result[measure]
            target = TARGETS[measure]
            verdict = "ok" if row["p99"] <= target else "MISSED"
            print(
                f"{result['backend']:<11}{measure:<10}{row['n']:>6}{row['p50']:>9.2f}"
                f"{row['p99']:>9.2f}{row['max']:>9.2f}  p99 ≤ {target:g} ms {verdict}"
            )
    print()
    for result in results:
        print(
            f"{result['backend']}: build {result['build_seconds']:.0f} s, "
            f"queries per pop (known customer) {result['queries_known']}, "
            f"(unknown number) {result['queries_unknown']}; "
            f"own-scope agent selector p50/p99 {result['agent']['p50']:.2f}/"
            f"{result['agent']['p99']:.2f} ms"
        )


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return
    results = benchlib.run_on_databases(args, run_child, prefix="hotline-bench-")
    if results:
        print_table(results)


# --- child: build, then measure ---------------------------------------------------


def log(message: str) -> None:
    print(message, flush=True)


def worker(args) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    log(f"migrated in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    fixtures = Builder(args.customers, args.worker).build()
    build_seconds = time.perf_counter() - started
    log(f"built in {build_seconds:.1f} s")
    gc.collect()  # the garbage of the build is not the server's
    result = Measure(fixtures, args.lookups).run()
    result.update(
        backend=args.worker,
        customers=args.customers,
        phones=2 * args.customers,
        build_seconds=build_seconds,
    )
    print("RESULT " + json.dumps(result), flush=True)


class Builder:
    """Writes the data with bulk SQL: executemany in batches (SQLite) or COPY
    (PostgreSQL), all in one transaction."""

    def __init__(self, customers: int, backend: str):
        self.customers = customers
        self.backend = backend
        self.now = "2026-01-07 08:00:00" + ("+00" if backend == "postgres" else "")

    def build(self) -> dict:
        from django.db import connection, transaction

        users = self.users()
        if self.backend == "sqlite":
            connection.ensure_connection()
            connection.connection.execute("PRAGMA synchronous=OFF")
        with transaction.atomic():
            self.reference_data()
            self.bulk("customers_customer", self.customer_columns(), self.customer_rows(users))
            self.bulk("customers_customerphone", PHONE_COLUMNS, self.phone_rows())
            self.bulk("customers_customer_tags", ["customer_id", "customertag_id"], self.tag_rows())
            self.bulk(
                "customers_customer_companies",
                ["from_customer_id", "to_customer_id"],
                self.company_rows(),
            )
            self.bulk("customers_contactrecord", CONTACT_COLUMNS, self.contact_rows(users))
            self.blacklist()
        self.finish()
        return {"users": users}

    def users(self) -> dict:
        from hotline.accounts.models import Department, Role, Team, User
        from hotline.accounts.roles import roles_sync
        from hotline.accounts.services import _refresh_subtree_paths

        roles_sync()
        department = Department.objects.create(name="Bench")
        _refresh_subtree_paths(department)
        teams = [Team.objects.create(name=f"team {n}", department=department) for n in range(5)]
        agents = []
        for n in range(AGENTS):
            agent = User(username=f"agent{n}", full_name=f"坐席{n}", team=teams[n % 5])
            agent.set_unusable_password()
            agent.save()
            agent.roles.add(Role.objects.get(code="agent"))
            agents.append(agent)
        manager = User(username="manager", full_name="经理")
        manager.set_unusable_password()
        manager.save()
        manager.roles.add(Role.objects.get(code="admin"))  # every customer: scope "all"
        return {"agents": agents, "manager": manager}

    def reference_data(self) -> None:
        from django.contrib.contenttypes.models import ContentType

        from hotline.core.models import CustomField
        from hotline.customers.models import Customer, CustomerTag, MemberLevel

        for rank, (code, name) in enumerate(
            [("silver", "银卡"), ("gold", "金卡"), ("vip", "钻石")]
        ):
            MemberLevel.objects.create(code=code, name=name, rank=rank, discount_percent=rank * 5)
        for n in range(20):
            CustomerTag.objects.create(name=f"标签{n}")
        content_type = ContentType.objects.get_for_model(Customer)
        CustomField.objects.create(
            content_type=content_type,
            name="preferred_time",
            label="方便时间",
            field_type="text",
            show_in_screen_pop=True,
        )
        CustomField.objects.create(
            content_type=content_type, name="id_card", label="身份证", field_type="text"
        )

    def customer_columns(self) -> list[str]:
        from hotline.customers.models import Customer

        return [field.column for field in Customer._meta.concrete_fields]

    def customer_rows(self, users):
        """The rows; what they need is read before, since nothing else may
        use the connection while COPY runs."""
        from hotline.customers.models import MemberLevel

        level_ids = [None, *MemberLevel.objects.order_by("rank").values_list("pk", flat=True)]
        agent_ids = [agent.pk for agent in users["agents"]]
        return self._customer_rows(level_ids, agent_ids)

    def _customer_rows(self, level_ids, agent_ids):
        columns = self.customer_columns()
        custom = json.dumps({"preferred_time": "晚上", "id_card": "110101199003070000"})
        for i in range(1, self.customers + 1):
            values = self.customer_values(i, level_ids, agent_ids, custom)
            yield tuple(values[column] for column in columns)

    def customer_values(self, i: int, level_ids, agent_ids, custom) -> dict:
        company = i % 100 == 0
        return {
            "id": i,
            "created_at": self.now,
            "updated_at": self.now,
            "custom_fields": custom,
            "kind": "company" if company else "person",
            "name": f"公司{i}" if company else f"客户{i}",
            "gender": "",
            "birthday": None,
            "birthday_md": None,
            "email": "",
            "level_id": level_ids[i % 4],
            "group_id": None,
            "source_id": None,
            "owner_id": agent_ids[i % AGENTS],
            "low_credit": i % 50 == 0,
            "credit_note": "拒收两次" if i % 50 == 0 else "",
            "notes": "",
            "merged_into_id": i - 1 if i % 1000 == 1 and i > 1 else None,
            "purchase_count": i % 7,
            "total_spend": f"{(i % 7) * 199}.00",
            "last_purchase_at": None,
            "rfm_segment": "",
            "points_balance": i % 500,
        }

    def phone_rows(self):
        row_id = 0
        for i in range(1, self.customers + 1):
            for number, primary in ((primary_number(i), True), (second_number(i), False)):
                row_id += 1
                national = number[3:]
                if national.startswith("755"):
                    national = "0" + national
                kind = "landline" if national.startswith("0") else "mobile"
                yield (row_id, i, number, national, kind, "", "", "", primary)

    def tag_rows(self):
        for i in range(1, self.customers + 1, 10):
            yield (i, 1 + i % 20)

    def company_rows(self):
        for i in range(1, self.customers + 1):
            if i % 100 in (1, 2, 3) and i + 99 <= self.customers:
                yield (i, i - i % 100 + 100)

    def contact_rows(self, users):
        agent_ids = [agent.pk for agent in users["agents"]]
        suffix = "+00" if self.backend == "postgres" else ""
        return (
            (
                (i // 5) * 3 + n + 1,
                i,
                "call_in",
                f"来电咨询 {n}",
                f"2025-{1 + (i + n) % 12:02d}-{1 + n * 9:02d} 10:00:00{suffix}",
                agent_ids[i % AGENTS],
            )
            for i in range(1, self.customers + 1, 5)
            for n in range(3)
        )

    def blacklist(self) -> None:
        from hotline.customers.models import BlacklistEntry, BlacklistReport, BlacklistWindow

        entries = BlacklistEntry.objects.bulk_create(
            BlacklistEntry(number=primary_number(i), source="reports", reason="骚扰")
            for i in range(7, self.customers, max(1, self.customers // 1000))
        )
        BlacklistWindow.objects.bulk_create(
            BlacklistWindow(entry=entry, weekdays=[0, 1, 2, 3, 4], start="22:00", end="06:00")
            for entry in entries[::3]
        )
        BlacklistReport.objects.bulk_create(
            BlacklistReport(number=entry.number, reason="骚扰")
            for entry in entries
            for _n in range(3)
        )

    def bulk(self, table: str, columns: list[str], rows) -> None:
        from django.db import connection

        started = time.perf_counter()
        count = 0
        if self.backend == "postgres":
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            raw = connection.connection
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) >= BATCH:
                    raw.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            raw.executemany(sql, batch)
            count += len(batch)
        log(f"  {table}: {count:,} rows in {time.perf_counter() - started:.1f} s")

    def finish(self) -> None:
        from django.apps import apps
        from django.core.management.color import no_style
        from django.db import connection

        started = time.perf_counter()
        with connection.cursor() as cursor:
            if self.backend == "postgres":
                models = list(apps.get_app_config("customers").get_models())
                for sql in connection.ops.sequence_reset_sql(no_style(), models):
                    cursor.execute(sql)
                cursor.execute("ANALYZE")
            else:
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("ANALYZE")
        log(f"  analyze: {time.perf_counter() - started:.1f} s")


PHONE_COLUMNS = [
    "id",
    "customer_id",
    "number",
    "national",
    "kind",
    "location",
    "carrier",
    "label",
    "is_primary",
]
CONTACT_COLUMNS = ["id", "customer_id", "channel", "summary", "at", "created_by_id"]


class Measure:
    def __init__(self, fixtures: dict, lookups: int):
        self.users = fixtures["users"]
        self.rng = random.Random(SEED)
        self.numbers = self.lookup_numbers(lookups)

    def lookup_numbers(self, n: int) -> list[str]:
        from hotline.customers.models import CustomerPhone

        top = CustomerPhone.objects.order_by("-customer_id").values_list("customer_id", flat=True)
        customers = top.first()
        numbers = []
        for _n in range(n):
            if self.rng.random() < 0.8:
                i = self.rng.randint(1, customers)
                e164 = primary_number(i) if self.rng.random() < 0.5 else second_number(i)
            else:
                prefix = self.rng.choice(UNKNOWN_PREFIXES)
                e164 = f"+86{prefix}{self.rng.randrange(10**8):08d}"
            numbers.append(as_presented(e164, self.rng))
        return numbers

    @staticmethod
    def summary(timings: list[float]) -> dict:
        cuts = statistics.quantiles(timings, n=100, method="inclusive")
        return {
            "n": len(timings),
            "p50": cuts[49],
            "p99": cuts[98],
            "max": max(timings),
        }

    def time_selector(self, actor) -> dict:
        from hotline.customers.selectors.screen_pop import screen_pop

        for number in self.numbers[:100]:  # warm caches and the connection
            screen_pop(actor=actor, number=number)
        timings = []
        hits = 0
        for number in self.numbers:
            actor.forget_permissions()  # as in a request: permissions read afresh
            started = time.perf_counter()
            result = screen_pop(actor=actor, number=number, dialled="4008123123")
            timings.append((time.perf_counter() - started) * 1000)
            hits += bool(result["customers"])
        return {**self.summary(timings), "with_customers": hits}

    def time_endpoint(self, actor) -> dict:
        from django.test import Client

        client = Client()
        client.force_login(actor)
        for number in self.numbers[:100]:
            client.get("/api/customers/screen-pop", {"number": number})
        timings = []
        for number in self.numbers:
            started = time.perf_counter()
            response = client.get(
                "/api/customers/screen-pop", {"number": number, "dialled": "4008123123"}
            )
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content[:300]
        return self.summary(timings)

    def count_queries(self, actor, number: str) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from hotline.customers.selectors.screen_pop import screen_pop

        actor.forget_permissions()
        with CaptureQueriesContext(connection) as captured:
            screen_pop(actor=actor, number=number)
        return len(captured.captured_queries)

    def run(self) -> dict:
        manager = self.users["manager"]
        agent = self.users["agents"][3]
        result = {
            "queries_known": self.count_queries(manager, primary_number(3)),
            "queries_unknown": self.count_queries(manager, "+8615000000000"),
        }
        log("timing the selector …")
        result["selector"] = self.time_selector(manager)
        log("timing the selector for an agent with own scope …")
        result["agent"] = self.time_selector(agent)
        log("timing the endpoint …")
        result["endpoint"] = self.time_endpoint(manager)
        return result


if __name__ == "__main__":
    main()
