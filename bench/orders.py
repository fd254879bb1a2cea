#!/usr/bin/env python
"""Orders benchmark (issue 4, "Performance"): order entry through the API with
1,000,000 existing orders, order numbers under 8 concurrent writers on
PostgreSQL, and the batch operations (approve 10,000 orders; picking and
tracking import once they exist).

    python bench/orders.py [--orders N] [--requests N]
                           [--postgres URL | --no-postgres] [--no-sqlite] [--keep]

Each database runs in a child process of its own (Django is configured once
per process): a temporary SQLite file in WAL mode, and, when the server is
reachable, a PostgreSQL database created for the run and dropped after it
(never ``test`` or ``postgres``). The existing orders are written with bulk
SQL (executemany in batches on SQLite, COPY on PostgreSQL) in one
transaction, with 1–2 lines each and the per-day number counters consistent
with their numbers, so new orders continue the sequences of today.
"""

import argparse
import gc
import json
import random
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import benchlib

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/hotline_bench_orders"
BATCH = 50_000
AGENTS = 50
PRODUCTS = 200
BUNDLES = 20
ORDERS_PER_DAY = 3_000
UNDER_REVIEW = 12_000  # the newest orders; 10,000 of them are approved in one batch
APPROVE = 10_000
WRITERS = 8
WRITER_SECONDS = 10.0
WRITER_ORDERS = 200
WARM_UP = 50
SEED = 20260107
TARGETS = {"entry_p99_ms": 100.0, "batch_s": 10.0}


# --- parent: run each database in a child and print the table -------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, metavar="URL")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the databases for inspection")
    parser.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.orders < UNDER_REVIEW + 1000:
        parser.error(f"--orders must be at least {UNDER_REVIEW + 1000:,}")
    return args


def run_child(backend: str, args, database_url: str, data_dir: str) -> dict | None:
    options = ["--orders", str(args.orders), "--requests", str(args.requests)]
    return benchlib.run_child(__file__, backend, options, database_url, data_dir)


def verdict(value: float, target: float) -> str:
    return f"≤ {target:g} {'ok' if value <= target else 'MISSED'}"


def print_table(results: list[dict]) -> None:
    first = results[0]
    print()
    print(
        f"Orders: {first['orders']:,} existing orders, {first['lines']:,} lines, "
        f"{first['customers']:,} customers"
    )
    header = f"{'database':<11}{'measure':<34}{'N':>7}{'result':>22}  target"
    print(header)
    print("-" * len(header))
    for r in results:
        db = r["backend"]
        entry = r["entry"]
        print(
            f"{db:<11}{'order entry POST /api/orders/':<34}{entry['n']:>7}"
            f"{entry['p50']:>9.1f} /{entry['p99']:>6.1f} ms"
            f"  p99 {verdict(entry['p99'], TARGETS['entry_p99_ms'])} ms (p50 / p99)"
        )
        writers = r.get("writers")
        if writers:
            print(
                f"{db:<11}{f'numbers, {WRITERS} concurrent writers':<34}{writers['orders']:>7}"
                f"{writers['per_second']:>14.1f} ord/s  duplicates {writers['duplicates']}"
                f" (must be 0) {'ok' if writers['duplicates'] == 0 else 'FAILED'}"
                + (f", {writers['errors']} errors" if writers["errors"] else "")
            )
        else:
            print(
                f"{db:<11}{f'numbers, {WRITERS} concurrent writers':<34}{'—':>7}"
                f"{'(PostgreSQL only)':>22}"
            )
        approve = r["approve"]
        print(
            f"{db:<11}{'batch approve':<34}{approve['n']:>7}{approve['seconds']:>20.2f} s"
            f"  {verdict(approve['seconds'], TARGETS['batch_s'])} s"
            f" (transaction {approve['service']:.2f} s"
            f" + on-commit events {approve['commit']:.2f} s)"
        )
        for name in ("picking", "tracking import"):
            print(f"{db:<11}{name:<34}{'':>7}{r['pending'].get(name, 'not built yet'):>22}")
    print()
    for r in results:
        print(
            f"{r['backend']}: build {r['build_seconds']:.0f} s; "
            f"queries per order entry (API) {r['entry_queries']}; "
            f"existing orders today {r['today_orders']:,}, "
            f"first new number {r['first_number']}"
        )


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return
    results = benchlib.run_on_databases(args, run_child, prefix="hotline-bench-orders-")
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
    fixtures = Builder(args.orders, args.worker).build()
    build_seconds = time.perf_counter() - started
    log(f"built in {build_seconds:.1f} s")
    gc.collect()  # the garbage of the build is not the server's
    result = Measure(fixtures, args).run()
    result.update(
        backend=args.worker,
        orders=args.orders,
        lines=fixtures["lines"],
        customers=fixtures["customers"],
        today_orders=fixtures["today_orders"],
        build_seconds=build_seconds,
    )
    print("RESULT " + json.dumps(result), flush=True)


class Builder:
    """Reference data through the ORM; customers, addresses, orders, lines,
    history and counters with bulk SQL: executemany in batches (SQLite) or
    COPY (PostgreSQL), all in one transaction."""

    def __init__(self, orders: int, backend: str):
        from django.utils import timezone

        self.orders = orders
        self.customers = max(1_000, orders // 10)
        self.backend = backend
        self.tz = "+00" if backend == "postgres" else ""
        self.today = timezone.localdate()

    def build(self) -> dict:
        from django.db import connection, transaction

        users = self.users()
        if self.backend == "sqlite":
            connection.ensure_connection()
            connection.connection.execute("PRAGMA synchronous=OFF")
        with transaction.atomic():
            catalog = self.catalog()
            self.bulk("customers_customer", *self.customer_rows(users))
            self.bulk("customers_customeraddress", *self.address_rows())
            self.bulk("orders_order", *self.order_rows(users))
            lines = self.bulk("orders_orderline", *self.line_rows(catalog))
            self.bulk("orders_ordertransition", *self.transition_rows(users))
            self.bulk("orders_ordernumbercounter", *self.counter_rows())
        self.finish()
        return {
            "users": users,
            "catalog": catalog,
            "lines": lines,
            "customers": self.customers,
            "today_orders": self.day_count(0),
        }

    # reference data

    def users(self) -> dict:
        from hotline.accounts.models import Department, Role, Team, User
        from hotline.accounts.roles import roles_sync
        from hotline.accounts.services import _refresh_subtree_paths

        roles_sync()
        department = Department.objects.create(name="Bench")
        _refresh_subtree_paths(department)
        teams = [Team.objects.create(name=f"team {n}", department=department) for n in range(5)]

        def user(username, name, role, team):
            person = User(username=username, full_name=name, team=team, department=department)
            person.set_unusable_password()
            person.save()
            person.roles.add(Role.objects.get(code=role))
            return person

        agents = [user(f"agent{n}", f"坐席{n}", "agent", teams[n % 5]) for n in range(AGENTS)]
        # Department scope: every order of the bench's agents.
        reviewer = user("reviewer", "审核员", "order_reviewer", teams[0])
        return {"agents": agents, "reviewer": reviewer}

    def catalog(self) -> dict:
        from decimal import Decimal

        from hotline.catalog.models import Bundle, BundleItem, PriceList, PriceListItem, Product
        from hotline.customers.models import MemberLevel
        from hotline.inventory.models import StockLevel, Warehouse

        levels = [
            MemberLevel.objects.create(code=code, name=name, rank=rank, discount_percent=rank * 5)
            for rank, (code, name) in enumerate(
                [("silver", "银卡"), ("gold", "金卡"), ("vip", "钻石")]
            )
        ]
        products = Product.objects.bulk_create(
            Product(sku=f"P{n:04d}", name=f"商品{n}", price=Decimal(99 + n), cost=Decimal(40 + n))
            for n in range(PRODUCTS)
        )
        bundles = Bundle.objects.bulk_create(
            Bundle(code=f"B{n:03d}", name=f"套餐{n}", price=Decimal(299 + n))
            for n in range(BUNDLES)
        )
        BundleItem.objects.bulk_create(
            BundleItem(bundle=bundle, product=products[(n * 7 + k) % PRODUCTS], quantity=1 + k)
            for n, bundle in enumerate(bundles)
            for k in range(2)
        )
        price_list = PriceList.objects.create(level=levels[1], name="金卡价")
        PriceListItem.objects.bulk_create(
            PriceListItem(price_list=price_list, product=product, price=product.price - 10)
            for product in products[::4]
        )
        warehouses = [
            Warehouse.objects.create(code=code, name=name)
            for code, name in (("sz", "深圳仓"), ("sh", "上海仓"))
        ]
        StockLevel.objects.bulk_create(
            StockLevel(product=product, warehouse=warehouse, quantity=(n * 37) % 500)
            for n, product in enumerate(products)
            for warehouse in warehouses
        )
        return {
            "levels": [level.pk for level in levels],
            "products": [(p.pk, p.sku, p.name, str(p.price)) for p in products],
            "bundles": [(b.pk, b.code, b.name, str(b.price)) for b in bundles],
        }

    # bulk rows

    def template(self, model, values: dict) -> tuple[list[str], list, dict]:
        """The columns of ``model``, a row of defaults (so columns added later
        still get a value) and the position of each column."""
        from django.db import connection
        from django.db.models import JSONField

        columns, row = [], []
        for field in model._meta.concrete_fields:
            columns.append(field.column)
            if field.column in values:
                row.append(values[field.column])
            elif isinstance(field, JSONField):
                row.append(json.dumps(field.get_default()))
            elif field.null and not field.has_default():
                row.append(None)
            else:
                row.append(field.get_db_prep_save(field.get_default(), connection))
        return columns, row, {column: n for n, column in enumerate(columns)}

    def customer_rows(self, users):
        from hotline.customers.models import Customer

        now = f"2025-01-01 02:00:00{self.tz}"
        columns, base, at = self.template(
            Customer,
            {
                "created_at": now,
                "updated_at": now,
                "custom_fields": "{}",
                "kind": "person",
                "total_spend": "0.00",
            },
        )
        agent_ids = [agent.pk for agent in users["agents"]]
        levels = [None, *self.catalog_levels()]

        def rows():
            for i in range(1, self.customers + 1):
                row = base[:]
                row[at["id"]] = i
                row[at["name"]] = f"客户{i}"
                row[at["owner_id"]] = agent_ids[i % AGENTS]
                row[at["level_id"]] = levels[i % 4]
                row[at["low_credit"]] = i % 50 == 0
                yield tuple(row)

        return columns, rows()

    def catalog_levels(self):
        from hotline.customers.models import MemberLevel

        return list(MemberLevel.objects.order_by("rank").values_list("pk", flat=True))

    def address_rows(self):
        from hotline.customers.models import CustomerAddress

        columns, base, at = self.template(
            CustomerAddress,
            {"province": "广东省", "city": "深圳市", "district": "南山区", "is_default": True},
        )

        def rows():
            for i in range(1, self.customers + 1):
                row = base[:]
                row[at["id"]] = i
                row[at["customer_id"]] = i
                row[at["recipient"]] = f"客户{i}"
                row[at["phone"]] = f"13{i % 10}{(i * 7919) % 10**8:08d}"
                row[at["detail"]] = f"科技园路{i % 500}号{i % 30}栋"
                yield tuple(row)

        return columns, rows()

    # order i (1 … N): the newest ORDERS_PER_DAY are today's, and so on back.

    def day_offset(self, i: int) -> int:
        return (self.orders - i) // ORDERS_PER_DAY

    def day_count(self, offset: int) -> int:
        return max(0, min(ORDERS_PER_DAY, self.orders - offset * ORDERS_PER_DAY))

    def order_rows(self, users):
        from hotline.orders.models import Order

        columns, base, at = self.template(
            Order,
            {
                "warnings": "[]",
                "delivery_method": "courier",
                "payment_method": "cod",
                "province": "广东省",
                "city": "深圳市",
                "district": "南山区",
                "discount": "0.00",
                "shipping_fee": "0.00",
            },
        )
        agent_ids = [agent.pk for agent in users["agents"]]
        settled_from = self.orders - UNDER_REVIEW

        def rows():
            offset, day, stamp, count = None, None, None, 0
            for i in range(1, self.orders + 1):
                k = self.orders - i
                if k // ORDERS_PER_DAY != offset:
                    offset = k // ORDERS_PER_DAY
                    day = self.today - timedelta(days=offset)
                    stamp = f"{day} 02:00:00{self.tz}"  # 10:00 in Shanghai
                    count = self.day_count(offset)
                    compact = f"{day:%Y%m%d}"
                sequence = count - k % ORDERS_PER_DAY
                customer = 1 + (i * 7) % self.customers
                total = f"{self.order_total(i)}.00"
                row = base[:]
                row[at["id"]] = i
                row[at["created_at"]] = row[at["updated_at"]] = stamp
                row[at["status_changed_at"]] = stamp
                row[at["number"]] = f"{compact}-{sequence:06d}"
                row[at["customer_id"]] = customer
                row[at["owner_id"]] = agent_ids[customer % AGENTS]
                row[at["status"]] = "under_review" if i > settled_from else "settled"
                row[at["address_id"]] = customer
                row[at["recipient"]] = f"客户{customer}"
                row[at["phone"]] = f"13{customer % 10}{(customer * 7919) % 10**8:08d}"
                row[at["address_detail"]] = f"科技园路{customer % 500}号"
                row[at["low_credit"]] = customer % 50 == 0
                row[at["items_total"]] = row[at["total"]] = total
                yield tuple(row)

        return columns, rows()

    def order_total(self, i: int) -> int:
        first = 99 + i % PRODUCTS
        return first + (2 * (299 + i % BUNDLES) if i % 2 else 0)

    def line_rows(self, catalog):
        from hotline.orders.models import OrderLine

        columns, base, at = self.template(OrderLine, {"price_source": "list"})
        products, bundles = catalog["products"], catalog["bundles"]

        def rows():
            line_id = 0
            for i in range(1, self.orders + 1):
                items = [(products[i % PRODUCTS], 1, "product_id")]
                if i % 2:
                    items.append((bundles[i % BUNDLES], 2, "bundle_id"))
                for (pk, sku, name, price), quantity, kind in items:
                    line_id += 1
                    row = base[:]
                    row[at["id"]] = line_id
                    row[at["order_id"]] = i
                    row[at[kind]] = pk
                    row[at["sku"]] = sku
                    row[at["name"]] = name
                    row[at["quantity"]] = quantity
                    row[at["unit_list_price"]] = row[at["unit_price"]] = price
                    row[at["line_total"]] = f"{float(price) * quantity:.2f}"
                    yield tuple(row)

        return columns, rows()

    def transition_rows(self, users):
        """The two history rows (entry, submission) of the orders under review."""
        from hotline.orders.models import OrderTransition

        columns, base, at = self.template(OrderTransition, {"reason": ""})
        agent_ids = [agent.pk for agent in users["agents"]]

        def rows():
            row_id = 0
            for i in range(self.orders - UNDER_REVIEW + 1, self.orders + 1):
                day = self.today - timedelta(days=self.day_offset(i))
                customer = 1 + (i * 7) % self.customers
                for source, target in (("", "ordered"), ("ordered", "under_review")):
                    row_id += 1
                    row = base[:]
                    row[at["id"]] = row_id
                    row[at["order_id"]] = i
                    row[at["from_status"]] = source
                    row[at["to_status"]] = target
                    row[at["by_id"]] = agent_ids[customer % AGENTS]
                    row[at["at"]] = f"{day} 02:00:00{self.tz}"
                    yield tuple(row)

        return columns, rows()

    def counter_rows(self):
        days = (self.orders + ORDERS_PER_DAY - 1) // ORDERS_PER_DAY
        rows = ((str(self.today - timedelta(days=d)), self.day_count(d)) for d in range(days))
        return ["day", "value"], rows

    def bulk(self, table: str, columns: list[str], rows) -> int:
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
        return count

    def finish(self) -> None:
        from django.apps import apps
        from django.core.management.color import no_style
        from django.db import connection

        started = time.perf_counter()
        with connection.cursor() as cursor:
            if self.backend == "postgres":
                models = [
                    *apps.get_app_config("customers").get_models(),
                    *apps.get_app_config("orders").get_models(),
                ]
                for sql in connection.ops.sequence_reset_sql(no_style(), models):
                    cursor.execute(sql)
                cursor.execute("ANALYZE")
            else:
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("ANALYZE")
        log(f"  sequences and analyze: {time.perf_counter() - started:.1f} s")


class Measure:
    def __init__(self, fixtures: dict, args):
        self.fixtures = fixtures
        self.users = fixtures["users"]
        self.backend = args.worker
        self.requests = args.requests
        self.rng = random.Random(SEED)
        products = fixtures["catalog"]["products"]
        bundles = fixtures["catalog"]["bundles"]
        self.product_ids = [p[0] for p in products]
        self.bundle_ids = [b[0] for b in bundles]
        self.customers = fixtures["customers"]

    @staticmethod
    def summary(timings: list[float]) -> dict:
        cuts = statistics.quantiles(timings, n=100, method="inclusive")
        return {"n": len(timings), "p50": cuts[49], "p99": cuts[98], "max": max(timings)}

    def own_customers(self, agent_index: int) -> list[int]:
        """Customers owned by agent ``agent_index`` (owner is agents[i % AGENTS])."""
        return list(range(agent_index or AGENTS, self.customers + 1, AGENTS))

    def payload(self, customers: list[int]) -> dict:
        lines = [
            {"product_id": self.rng.choice(self.product_ids), "quantity": self.rng.randint(1, 3)}
        ]
        if self.rng.random() < 0.5:
            lines.append({"bundle_id": self.rng.choice(self.bundle_ids), "quantity": 1})
        return {"customer_id": self.rng.choice(customers), "lines": lines, "note": "电话订购"}

    def time_entry(self) -> tuple[dict, int, str]:
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        agent = self.users["agents"][3]
        customers = self.own_customers(3)
        client = Client()
        client.force_login(agent)

        def post():
            return client.post(
                "/api/orders/", self.payload(customers), content_type="application/json"
            )

        response = post()
        assert response.status_code == 201, response.content[:500]
        first_number = response.json()["number"]
        for _n in range(WARM_UP - 1):
            post()
        with CaptureQueriesContext(connection) as captured:
            post()
        queries = len(captured.captured_queries)
        timings = []
        for _n in range(self.requests):
            started = time.perf_counter()
            response = post()
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 201, response.content[:500]
        return self.summary(timings), queries, first_number

    def time_approve(self) -> dict:
        from django.db import transaction

        from hotline.orders.models import Order
        from hotline.orders.services.review import orders_batch_approve

        ids = list(
            Order.objects.filter(status="under_review")
            .order_by("pk")
            .values_list("pk", flat=True)[:APPROVE]
        )
        assert len(ids) == APPROVE, len(ids)
        reviewer = self.users["reviewer"]
        # An outer transaction splits the service's own work from its commit,
        # which runs the on-commit event dispatch (one event per order).
        started = time.perf_counter()
        with transaction.atomic():
            approved = orders_batch_approve(actor=reviewer, ids=ids)
            service = time.perf_counter() - started
        seconds = time.perf_counter() - started
        assert approved == APPROVE, approved
        assert Order.objects.filter(pk__in=ids[:1000], status="approved").count() == 1000
        return {"n": approved, "seconds": seconds, "service": service, "commit": seconds - service}

    def time_writers(self) -> dict:
        from django.db import connections
        from django.db.models import Count

        from hotline.customers.models import Customer
        from hotline.orders.models import Order
        from hotline.orders.services.entry import order_create

        before = Order.objects.count()
        start_id = Order.objects.order_by("-pk").values_list("pk", flat=True).first()
        counts = [0] * WRITERS
        errors = []
        barrier = threading.Barrier(WRITERS)

        def writer(n: int) -> None:
            try:
                from hotline.accounts.models import User

                agent = User.objects.get(pk=self.users["agents"][10 + n].pk)
                rng = random.Random(SEED + n)
                customers = list(Customer.objects.filter(pk__in=self.own_customers(10 + n)[:500]))
                barrier.wait()
                deadline = time.perf_counter() + WRITER_SECONDS
                while counts[n] < WRITER_ORDERS and time.perf_counter() < deadline:
                    lines = [{"product_id": rng.choice(self.product_ids), "quantity": 1}]
                    try:
                        order_create(actor=agent, customer=rng.choice(customers), lines=lines)
                        counts[n] += 1
                    except Exception as exc:  # a failed order is a finding, not a crash
                        errors.append(f"{exc.__class__.__name__}: {exc}")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        created = Order.objects.filter(pk__gt=start_id)

        duplicates = Order.objects.values("number").annotate(n=Count("id")).filter(n__gt=1).count()
        made = created.count()
        assert made == sum(counts), (made, counts)
        assert Order.objects.count() == before + made
        if errors:
            log(f"  writer errors: {len(errors)}, first: {errors[0]}")
        return {
            "orders": made,
            "seconds": seconds,
            "per_second": made / seconds,
            "duplicates": duplicates,
            "errors": len(errors),
            "per_writer": counts,
        }

    def pending(self) -> dict:
        """Whether picking and tracking import exist yet (in their own modules
        or in ``services.logistics``); this script does not time them yet."""
        import importlib

        names = {}
        for module in ("picking", "tracking", "logistics"):
            try:
                found = importlib.import_module(f"hotline.orders.services.{module}")
            except ModuleNotFoundError:
                continue
            names.update({name: module for name in dir(found) if not name.startswith("_")})
        return {
            label: "built, not measured yet"
            if any(word in name for name in names)
            else "not built yet"
            for label, word in (("picking", "pick"), ("tracking import", "tracking"))
        }

    def run(self) -> dict:
        log(f"timing order entry through the API ({WARM_UP} warm-up, {self.requests} timed) …")
        entry, queries, first_number = self.time_entry()
        log(f"  p50 {entry['p50']:.1f} ms, p99 {entry['p99']:.1f} ms, {queries} queries")
        log(f"batch approve of {APPROVE:,} orders …")
        approve = self.time_approve()
        log(
            f"  {approve['seconds']:.2f} s (service {approve['service']:.2f} s, "
            f"commit with event dispatch {approve['commit']:.2f} s)"
        )
        result = {
            "entry": entry,
            "entry_queries": queries,
            "first_number": first_number,
            "approve": approve,
            "pending": self.pending(),
        }
        if self.backend == "postgres":
            log(
                f"{WRITERS} concurrent writers for up to {WRITER_SECONDS:g} s"
                f" or {WRITER_ORDERS} orders each …"
            )
            result["writers"] = self.time_writers()
            w = result["writers"]
            log(f"  {w['orders']} orders in {w['seconds']:.1f} s, duplicates {w['duplicates']}")
        return result


if __name__ == "__main__":
    main()
