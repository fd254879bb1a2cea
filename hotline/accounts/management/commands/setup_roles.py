from django.core.management.base import BaseCommand

from hotline.accounts.roles import roles_sync


class Command(BaseCommand):
    help = (
        "Create the default roles (agent, lead, QA, …) and add the permissions they miss. "
        "Safe to run again: permissions an administrator granted are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Set names, scopes and permissions of the default roles back to the "
            "catalogue, removing permissions added by hand.",
        )

    def handle(self, *args, reset=False, **options):
        result = roles_sync(reset=reset)
        for code, role in result.roles.items():
            if code in result.created:
                state = "created"
            elif code in result.added:
                state = f"+{len(result.added[code])} permissions"
            else:
                state = "up to date"
            self.stdout.write(f"  {code:<16} {role.name_en:<18} {role.data_scope:<11} {state}")
        if result.skipped and options["verbosity"] > 1:
            self.stdout.write("Skipped (app not installed): " + ", ".join(result.skipped))
        self.stdout.write(self.style.SUCCESS(f"{len(result.roles)} roles in place."))
