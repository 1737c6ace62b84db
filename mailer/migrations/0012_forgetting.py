import secrets

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


def new_token_epoch() -> int:
    # As mailer.models makes one; written out here so the migration stands alone.
    return secrets.randbelow(2**31 - 1) + 1


class Migration(migrations.Migration):
    dependencies = [('pactmail', '0011_sender_verdict')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Person',
            name='token_epoch',
            field=fields.IntField(default=new_token_epoch, db_default=0),
        ),
        ops.AddField(
            model_name='InboundMessage',
            name='sender_key',
            field=fields.CharField(null=True, db_index=True, max_length=32),
        ),
    ]
