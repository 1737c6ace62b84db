from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('pactmail', '0012_forgetting')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ThreadMessage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('verdict', fields.ForeignKeyField('pactmail.Verdict', source_field='verdict_id', db_constraint=True, to_field='id', related_name='thread', on_delete=OnDelete.CASCADE)),
                ('author', fields.CharField(max_length=16)),
                ('text', fields.TextField(unique=False)),
                ('source', fields.ForeignKeyField('pactmail.InboundMessage', source_field='source_id', db_constraint=True, to_field='id', related_name='thread_messages', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'thread_message', 'app': 'pactmail', 'unique_together': (('source', 'verdict'),), 'pk_attr': 'id', 'table_description': "A message in a challenge's thread after the challenge itself, relayed to the other side."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Digest',
            name='by_member_number',
            field=fields.BooleanField(default=True, db_default=False),
        ),
        ops.AlterModelOptions(
            name='NeverInvite',
            options={'table': 'never_invite', 'app': 'pactmail', 'pk_attr': 'id', 'table_description': 'An address whose owner answered an invitation "never": nobody invites it again.'},
        ),
        ops.AddField(
            model_name='Person',
            name='away_until',
            field=fields.DateField(null=True),
        ),
    ]
