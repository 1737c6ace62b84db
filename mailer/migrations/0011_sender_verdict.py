from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('pactmail', '0010_digest_notes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='InboundMessage',
            name='sender_auth',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='InboundMessage',
            name='sender_evidence',
            field=fields.CharField(default='', db_default='', max_length=300),
        ),
        ops.CreateModel(
            name='NeverInvite',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('address_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'never_invite', 'app': 'pactmail', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
