from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('pactmail', '0014_recurring_occurrences')]

    initial = False

    operations = [
        # One row per scheduled job, for `pactmail status`: nothing to carry
        # over from before, the next run of each job writes its row.
        ops.CreateModel(
            name='CronRun',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('interval_seconds', fields.IntField()),
                ('last_finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_result', fields.CharField(default='', max_length=200)),
                ('last_failed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(default='', max_length=500)),
            ],
            options={'table': 'cron_run', 'app': 'pactmail', 'pk_attr': 'name', 'table_description': 'The last run of one scheduled job, updated in place: what `pactmail status` reports.'},
            bases=['Model'],
        ),
    ]
