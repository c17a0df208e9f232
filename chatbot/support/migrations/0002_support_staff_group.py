"""The "Support staff" group (chatbot/support/staff_group.py says what it may do). Add people to it with
`manage.py create_staff_user`."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from chatbot.support.staff_group import STAFF_GROUP, ensure_staff_group


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate); make sure they exist now.
    for label in ("support", "conversations"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_staff_group(group_model=apps.get_model("auth", "Group"), permission_model=apps.get_model("auth", "Permission"))


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=STAFF_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0001_initial"),
        ("conversations", "0002_message_author"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
