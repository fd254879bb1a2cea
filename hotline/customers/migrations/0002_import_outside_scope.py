from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="outside_scope_count",
            field=models.PositiveIntegerField(default=0, verbose_name="merged outside your scope"),
        ),
    ]
