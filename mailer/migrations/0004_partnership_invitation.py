from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('pactmail', '0003_outbound_final_dot_at')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Partnership',
            name='answer',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='Partnership',
            name='answered_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Partnership',
            name='invited_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Partnership',
            name='reminded_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Partnership',
            name='same_organisation',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
