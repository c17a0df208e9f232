"""`manage.py create_staff_user dana --first-name Dana`: a person who can use the staff console.

Creates the user (or updates an existing one) and adds them to the "Support staff" group. The password
is asked for twice on a terminal, or read from an environment variable (`--password-env NAME`) in
scripts; it is never an argument, so it stays out of shell histories and process lists.
"""

import getpass
import os
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from chatbot.support.staff_group import STAFF_GROUP


class Command(BaseCommand):
    help = "Create (or update) a support staff member who can sign in to the staff console at /support/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--first-name", default="", help="What customers see: 'Dana from support joined'."
        )
        parser.add_argument("--last-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-env", metavar="NAME", help="Read the password from this environment variable."
        )
        parser.add_argument(
            "--admin-site",
            action="store_true",
            help="Also let them sign in to /admin/ (read-only conversations).",
        )
        parser.add_argument(
            "--set-password", action="store_true", help="Ask for a new password for an existing user."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        user = User.objects.filter(username=options["username"]).first()
        password = self._password(
            options, required=user is None, user=user or User(username=options["username"])
        )
        group = Group.objects.filter(name=STAFF_GROUP).first()
        if group is None:
            raise CommandError(f'The "{STAFF_GROUP}" group is missing: run `manage.py migrate` first.')
        with transaction.atomic():
            created = user is None
            user = user or User(username=options["username"])
            for field in ("first_name", "last_name", "email"):
                if options[field]:
                    setattr(user, field, options[field])
            if options["admin_site"]:
                user.is_staff = True
            if password is not None:
                user.set_password(password)
            user.save()
            user.groups.add(group)
        verb = "Created" if created else "Updated"
        self.stdout.write(
            f"{verb} {user.get_username()}: a member of {STAFF_GROUP}; they sign in at /support/."
        )

    def _password(self, options: dict[str, Any], *, required: bool, user: Any) -> str | None:
        if options["password_env"]:
            password = os.environ.get(options["password_env"], "")
            if not password:
                raise CommandError(f"The environment variable {options['password_env']} is empty or unset.")
        elif not required and not options["set_password"]:
            return None
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords differ.")
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        return password
