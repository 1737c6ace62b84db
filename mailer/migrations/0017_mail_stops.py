from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    # Written beside 0016 (bounce scoring, another branch): depends on 0015
    # until the two meet, then on 0016.
    dependencies = [('pactmail', '0016_address_bounces')]

    initial = False

    operations = [
        # Nobody has stopped anything yet: nothing to carry over.
        ops.CreateModel(
            name='MailStop',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('pactmail.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='mail_stops', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'mail_stop', 'app': 'pactmail', 'unique_together': (('person', 'kind'),), 'pk_attr': 'id', 'table_description': 'A kind of regular mail a person stopped by its List-Unsubscribe (emails/kinds.py Stop).'},
            bases=['Model'],
        ),
    ]
