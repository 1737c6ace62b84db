from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('pactmail', '0013_challenge_threads_and_away')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Commitment',
            name='occurrence_start',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='CommitmentUpdate',
            name='occurrence',
            field=fields.DateField(null=True),
        ),
        # One outcome (done or missed) per occurrence of a recurring
        # commitment. Every update kept before has no occurrence, and NULLs
        # never collide, so existing rows all fit.
        ops.AddConstraint(
            model_name='CommitmentUpdate',
            constraint=UniqueConstraint(fields=('commitment', 'occurrence'), name=None),
        ),
    ]
