from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('pactmail', '0004_partnership_invitation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Digest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('pactmail.Person', source_field='partner_id', db_constraint=True, to_field='id', related_name='digests', on_delete=OnDelete.CASCADE)),
                ('period', fields.CharField(max_length=16)),
                ('items', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'digest', 'app': 'pactmail', 'unique_together': (('partner', 'period'),), 'pk_attr': 'id', 'table_description': 'One digest for one partner and period: the unique pair is what stops a second.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Person',
            name='digest_cadence',
            field=fields.CharField(default='weekly', db_default='weekly', max_length=16),
        ),
    ]
