from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('pactmail', '0015_cron_runs')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AddressBounces',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('address', fields.CharField(unique=True, max_length=320)),
                ('score', fields.IntField(default=0)),
                ('last_bounce_on', fields.DateField(null=True)),
                ('suspended_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('retry_since', fields.DateField(null=True)),
                ('last_failure', fields.CharField(default='', max_length=500)),
            ],
            options={'table': 'address_bounce', 'app': 'pactmail', 'pk_attr': 'id', 'table_description': "One address's permanent delivery failures: its bounce score, and whether mail is suspended."},
            bases=['Model'],
        ),
    ]
