"""``manage.py inventory_check``: prove every stock level equals the sum of its moves."""

from django.core.management.base import BaseCommand, CommandError

from hotline.inventory.selectors import stock_ledger_mismatches


class Command(BaseCommand):
    help = "Check that every stock level equals the sum of its stock moves."

    def handle(self, *args, **options):
        mismatches = stock_ledger_mismatches()
        for row in mismatches:
            self.stderr.write(
                "product {product_id} in warehouse {warehouse_id}: "
                "level {level}, moves sum to {moves}".format(**row)
            )
        if mismatches:
            raise CommandError(f"{len(mismatches)} stock level(s) differ from their moves.")
        self.stdout.write("Stock levels match the ledger.")
