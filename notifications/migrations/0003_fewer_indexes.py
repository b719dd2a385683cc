"""Five indexes fewer that a bulletin to every member unit has to write, each covered by another:
the tenant and recipient keys lead the unique constraint and the inbox indexes, the notification
time is in the inbox index, and what is due is in the partial index `delivery_due`.

Only the indexes are dropped (the state of the fields changes with them): altering the fields
would drop and re-add their foreign keys, revalidating whole tables under lock."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# (table, index, columns) as 0001 made them: Django names them alike on every database.
INDEXES = [
    ("notifications_delivery", "notifications_delivery_next_attempt_at_fa3e6ddf", "next_attempt_at"),
    ("notifications_delivery", "notifications_delivery_tenant_id_f32037c6", "tenant_id"),
    ("notifications_notification", "notifications_notification_created_at_10160fdd", "created_at"),
    ("notifications_notification", "notifications_notification_recipient_id_d055f3f0", "recipient_id"),
    ("notifications_notification", "notifications_notification_tenant_id_156c9e0d", "tenant_id"),
]


class Migration(migrations.Migration):

    dependencies = [
        ('committees', '0001_initial'),
        ('notifications', '0002_verbose_names'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.AlterField(
            model_name='delivery',
            name='next_attempt_at',
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name='delivery',
            name='tenant',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='committees.tenant'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='时间'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='recipient',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='notification',
            name='tenant',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='committees.tenant'),
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX "{index}" ON "{table}" ("{column}")',
                )
                for table, index, column in INDEXES
            ],
            state_operations=state_operations,
        )
    ]
