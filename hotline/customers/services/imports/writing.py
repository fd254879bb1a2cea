"""Writing an import's customers, one chunk of drafts at a time.

- Each chunk is one transaction that writes its customers, phones, addresses
  and tags and advances the job's checkpoint (``processed_rows`` and the
  counts); ``CheckpointMoved`` stops a second run of the same job.
- A draft whose number belongs to an existing, not merged customer merges
  into it: blank fields are filled, new phones, addresses and tags are added,
  non-blank fields are never overwritten. Matching is global, not limited to
  the importer's data scope; a match outside it is counted in
  ``outside_scope``.
- Customers are written with prepared bulk SQL (hotline.core.bulk), with a
  change log entry per created customer (``{"import": [None, job id]}``) and
  per merged customer (the fields filled, phones, addresses added), written
  in bulk as well. No event is published per customer.
"""

import io
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.core.bulk import BulkInsert, select_in, update_rows
from hotline.core.models import ObjectChange
from hotline.core.phones import PhoneInfo
from hotline.customers.models import (
    Customer,
    CustomerAddress,
    CustomerPhone,
    CustomerTag,
    ImportJob,
)
from hotline.customers.services.customers import birthday_key
from hotline.customers.services.imports.rows import Chunk, Draft

CUSTOMER_COLUMNS = [
    "name",
    "owner_id",
    "custom_fields",
    "birthday_md",
    "gender",
    "birthday",
    "email",
    "level_id",
    "group_id",
    "source_id",
    "notes",
]
FIELD_BLANKS = {"gender": "", "birthday": None, "email": "", "notes": ""}
PHONE_COLUMNS = ["customer", "number", "national", "kind", "location", "carrier", "is_primary"]
ADDRESS_COLUMNS = ["customer", "province", "city", "district", "detail", "is_default"]
CHANGE_COLUMNS = ["actor", "content_type", "object_id", "object_repr", "action", "changes"]


@dataclass
class Outcome:
    created: int = 0
    merged: int = 0
    outside_scope: int = 0


class ChunkWriter:
    """Writes the drafts of one chunk: merges into existing customers, then
    creates the rest, with a handful of statements whatever the chunk's size."""

    def __init__(self, job: ImportJob, actor, tag_ids: dict[str, int]):
        self.job = job
        self.actor = actor
        self.tag_ids = tag_ids
        self.owner_id = job.owner_id or job.created_by_id
        self.phones: list[tuple] = []
        self.addresses: list[tuple] = []
        self.tag_links: set[tuple[int, str]] = set()
        self.changes: list[tuple] = []
        self.content_type_id = ContentType.objects.get_for_model(Customer).pk

    def write(self, drafts: list[Draft], outcome: Outcome) -> None:
        owners = self._phone_owners([n for d in drafts for n in d.phones])
        matched: dict[int, list[Draft]] = {}
        new: list[Draft] = []
        for draft in drafts:
            customer_id = next((owners[n] for n in draft.phones if n in owners), None)
            if customer_id is None:
                new.append(draft)
            else:
                matched.setdefault(customer_id, []).append(draft)
        self._merge(matched, owners, outcome)
        self._create(new, outcome)
        self._flush()

    @staticmethod
    def _phone_owners(numbers: list[str]) -> dict[str, int]:
        """number → current (not merged) customer. Two plain queries: joined
        with the customers, SQLite would scan every customer."""
        if not numbers:
            return {}
        found = select_in(CustomerPhone, ["number", "customer"], "number", numbers)
        merged = set(
            Customer.objects.filter(
                pk__in={pk for _n, pk in found}, merged_into__isnull=False
            ).values_list("pk", flat=True)
        )
        return {number: pk for number, pk in found if pk not in merged}

    def _merge(self, matched: dict[int, list[Draft]], owners: dict, outcome: Outcome) -> None:
        if not matched:
            return
        customers = Customer.objects.in_bulk(list(matched))
        in_scope = set(
            Customer.objects.restrict(self.actor, "change")
            .filter(pk__in=list(matched))
            .values_list("pk", flat=True)
        )
        known = self._known_addresses(list(matched))
        changed: set[str] = set()
        updated: list[Customer] = []
        for customer_id, drafts in matched.items():
            customer = customers[customer_id]
            rows = sum(len(d.lines) for d in drafts)
            outcome.merged += rows
            if customer_id not in in_scope:
                outcome.outside_scope += rows
            for draft in drafts:
                filled = self._fill(customer, draft, changed)
                if filled and (not updated or updated[-1] is not customer):
                    updated.append(customer)
                changes = {**filled, **self._additions(customer, draft, owners, known)}
                if changes:
                    self._log(customer.pk, customer.name, ObjectChange.Action.UPDATE, changes)
        update_rows(updated, sorted(changed | {"updated_at"}))

    @staticmethod
    def _known_addresses(customer_ids: list[int]) -> dict[int, set[tuple]]:
        """customer → its addresses as (province, city, district, detail)."""
        known: dict[int, set[tuple]] = {}
        addresses = CustomerAddress.objects.filter(customer_id__in=customer_ids)
        for customer_id, *parts in addresses.values_list(
            "customer_id", "province", "city", "district", "detail"
        ):
            known.setdefault(customer_id, set()).add(tuple(parts))
        return known

    def _fill(self, customer: Customer, draft: Draft, changed: set) -> dict:
        changes = {}
        values = {"name": draft.name, **draft.fields}
        for key, value in values.items():
            if value not in (None, "") and getattr(customer, key) in (None, ""):
                changes[key.removesuffix("_id")] = [None, str(value)]
                setattr(customer, key, value)
                changed.add(key.removesuffix("_id"))
        if "birthday" in changes:
            customer.birthday_md = birthday_key(customer.birthday)
            changed.add("birthday_md")
        for key, value in draft.cf.items():
            if value not in (None, "", []) and customer.custom_fields.get(key) in (None, "", []):
                customer.custom_fields = {**customer.custom_fields, key: value}
                changes[f"cf.{key}"] = [None, value]
                changed.add("custom_fields")
        if changes:
            customer.updated_at = timezone.now()
        return changes

    def _additions(self, customer: Customer, draft: Draft, owners: dict, known: dict) -> dict:
        changes = {}
        added = [n for n in draft.phones if n not in owners]
        for number in added:
            owners[number] = customer.pk
            self.phones.append(_phone_row(customer.pk, draft.phones[number], False))
        if added:
            changes["phones"] = [None, ", ".join(added)]
        addresses = known.setdefault(customer.pk, set())
        for parts in draft.addresses:
            if parts not in addresses:
                self.addresses.append((customer.pk, *parts, not addresses))
                addresses.add(parts)
                text = " ".join(p for p in parts if p)
                changes.setdefault("addresses", [None, []])[1].append(text)
        for tag in draft.tags:
            self.tag_links.add((customer.pk, tag))
        return changes

    def _create(self, drafts: list[Draft], outcome: Outcome) -> None:
        if not drafts:
            return
        rows = [self._customer_row(draft) for draft in drafts]
        pks = BulkInsert(Customer, CUSTOMER_COLUMNS).insert_returning_pks(rows)
        outcome.created += len(drafts)
        outcome.merged += sum(len(d.lines) - 1 for d in drafts)
        for pk, row, draft in zip(pks, rows, drafts, strict=True):
            for index, info in enumerate(draft.phones.values()):
                self.phones.append(_phone_row(pk, info, index == 0))
            for index, parts in enumerate(draft.addresses):
                self.addresses.append((pk, *parts, index == 0))
            for tag in draft.tags:
                self.tag_links.add((pk, tag))
            self._log(pk, row[0], ObjectChange.Action.CREATE, {"import": [None, self.job.pk]})

    def _customer_row(self, draft: Draft) -> tuple:
        first_phone = next(iter(draft.phones.values()), None)
        name = draft.name or (first_phone.national if first_phone else "")
        fields = draft.fields
        return (
            name,
            self.owner_id,
            draft.cf,
            birthday_key(fields.get("birthday")),
            *(fields.get(key, FIELD_BLANKS.get(key)) for key in CUSTOMER_COLUMNS[4:]),
        )

    def _log(self, pk: int, name: str, action: str, changes: dict) -> None:
        self.changes.append(
            (self.actor.pk, self.content_type_id, str(pk), name[:200], action, changes)
        )

    def _flush(self) -> None:
        BulkInsert(CustomerPhone, PHONE_COLUMNS).insert(self.phones)
        BulkInsert(CustomerAddress, ADDRESS_COLUMNS).insert(self.addresses)
        self._link_tags()
        BulkInsert(ObjectChange, CHANGE_COLUMNS).insert(self.changes)

    def _link_tags(self) -> None:
        if not self.tag_links:
            return
        names = {tag for _pk, tag in self.tag_links} - set(self.tag_ids)
        if names:
            CustomerTag.objects.bulk_create(
                [CustomerTag(name=n) for n in names], ignore_conflicts=True
            )
            self.tag_ids.update(
                CustomerTag.objects.filter(name__in=names).values_list("name", "pk")
            )
        links = [(pk, self.tag_ids[tag]) for pk, tag in self.tag_links]
        BulkInsert(Customer.tags.through, ["customer", "customertag"]).insert(
            links, ignore_conflicts=True
        )


def _phone_row(customer_id: int, info: PhoneInfo, primary: bool) -> tuple:
    return (
        customer_id,
        info.e164,
        info.national,
        info.kind,
        info.location,
        info.carrier,
        primary,
    )


class CheckpointMoved(Exception):
    """Another run of the same job advanced its checkpoint: stop this one."""


def chunk_write(job: ImportJob, actor, chunk: Chunk, tag_ids: dict) -> Outcome:
    """The chunk's customers and the job's checkpoint, in one transaction."""
    outcome = Outcome()
    with transaction.atomic():
        checkpoint = ImportJob.objects.filter(pk=job.pk).values_list("processed_rows", flat=True)
        if checkpoint.get() != chunk.start:
            raise CheckpointMoved
        ChunkWriter(job, actor, tag_ids).write(chunk.drafts, outcome)
        job.processed_rows = chunk.start + chunk.size
        job.created_count += outcome.created
        job.merged_count += outcome.merged
        job.outside_scope_count += outcome.outside_scope
        job.rejected_count += len(chunk.rejected)
        job.save(
            update_fields=[
                "processed_rows",
                "created_count",
                "merged_count",
                "outside_scope_count",
                "rejected_count",
            ]
        )
    return outcome


def rejects_workbook(headers: list[str], rejected: list) -> bytes:
    """An .xlsx of the rejected rows as read, each with its reason."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Rejected rows"))
    sheet.append([*headers, _("Reason")])
    for cells, reason in rejected:
        sheet.append([None if cell == "" else cell for cell in cells] + [reason])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
