from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('pactmail', '0005_digests')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Summary',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('pactmail.Person', source_field='member_id', db_constraint=True, to_field='id', related_name='summaries', on_delete=OnDelete.CASCADE)),
                ('period', fields.CharField(max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'summary', 'app': 'pactmail', 'unique_together': (('member', 'period'),), 'pk_attr': 'id', 'table_description': 'One weekly summary for one member and week: the unique pair stops a second.'},
            bases=['Model'],
        ),
    ]
