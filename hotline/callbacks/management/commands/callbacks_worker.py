"""Run the callback allocation worker and the overdue alarms in a loop (or
once). Several may run at once: each callback is allocated by one of them."""

import time

from django.core.management.base import BaseCommand

from hotline.callbacks.services.allocation import callbacks_allocate
from hotline.callbacks.services.callbacks import callbacks_overdue_alarm
from hotline.callbacks.services.pending import pending_items_alarm


class Command(BaseCommand):
    help = "Allocate pending callbacks by the rules and announce overdue callbacks and items."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one round and stop.")
        parser.add_argument(
            "--interval", type=float, default=30.0, help="Seconds between rounds (default 30)."
        )
        parser.add_argument(
            "--batch", type=int, default=500, help="Callbacks allocated per round at most."
        )

    def handle(self, *args, once=False, interval=30.0, batch=500, **options):
        while True:
            allocated = callbacks_allocate(limit=batch)
            overdue = callbacks_overdue_alarm()
            items = pending_items_alarm()
            if options["verbosity"] > 1 or once:
                self.stdout.write(
                    f"allocated {allocated}, overdue callbacks {overdue}, overdue items {items}"
                )
            if once:
                return
            time.sleep(max(1.0, interval))
