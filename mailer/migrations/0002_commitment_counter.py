from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('pactmail', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Person',
            name='commitment_count',
            field=fields.IntField(default=0, db_default=0),
        ),
        # Members who already have commitments continue from their highest number.
        ops.RunSQL(
            'UPDATE "person" SET "commitment_count" = COALESCE('
            '(SELECT MAX("number") FROM "commitment" WHERE "commitment"."member_id" = "person"."id"), 0)'
        ),
    ]
