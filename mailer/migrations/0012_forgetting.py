from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

from mailer.models import new_token_epoch

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
