from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('pactmail', '0008_note_numbers_and_sharing')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Verdict',
            name='answered_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
