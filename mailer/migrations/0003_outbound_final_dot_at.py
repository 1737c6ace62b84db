from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('pactmail', '0002_commitment_counter')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OutboundMessage',
            name='final_dot_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
