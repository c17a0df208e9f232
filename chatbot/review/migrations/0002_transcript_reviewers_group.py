"""The "Transcript reviewers" group (chatbot/review/reviewer_group.py says what it may do). Add people to it
with `manage.py create_reviewer`."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from chatbot.review.reviewer_group import REVIEWER_GROUP, ensure_reviewer_group


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate); make sure they exist now.
    for label in ("review", "conversations", "support"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_reviewer_group(
        group_model=apps.get_model("auth", "Group"), permission_model=apps.get_model("auth", "Permission")
    )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=REVIEWER_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0001_initial"),
        ("support", "0002_support_staff_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
