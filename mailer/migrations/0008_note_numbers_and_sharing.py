from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('pactmail', '0007_coaching_note_actions')]

    initial = False

    operations = [
        ops.AddField(
            model_name='CoachingNote',
            name='number',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Person',
            name='note_count',
            field=fields.IntField(default=0, db_default=0),
        ),
        # Notes kept before numbering are numbered in the order they came,
        # per member, and each member's counter continues from there.
        ops.RunSQL(
            'UPDATE "coaching_note" SET "number" = (SELECT COUNT(*) FROM "coaching_note" AS "earlier" '
            'WHERE "earlier"."member_id" = "coaching_note"."member_id" '
            'AND "earlier"."id" <= "coaching_note"."id")'
        ),
        ops.RunSQL(
            'UPDATE "person" SET "note_count" = (SELECT COUNT(*) FROM "coaching_note" '
            'WHERE "coaching_note"."member_id" = "person"."id")'
        ),
        ops.AddConstraint(
            model_name='CoachingNote',
            constraint=UniqueConstraint(fields=('member', 'number'), name=None),
        ),
        ops.AddField(
            model_name='CoachingNote',
            name='shared_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        # Nothing could set it: sharing is "shared_at" from here on.
        ops.RemoveField(model_name='CoachingNote', name='shared'),
    ]
