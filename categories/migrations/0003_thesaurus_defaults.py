"""Every tenant that has a taxonomy gets the default thesaurus (new tenants get it with their
default categories)."""

from django.db import migrations


def add_defaults(apps, schema_editor):
    from categories.thesaurus import DEFAULT_THESAURUS, TARGET_HEADWORDS

    Category = apps.get_model("categories", "Category")
    ThesaurusEntry = apps.get_model("categories", "ThesaurusEntry")
    tenant_ids = Category.objects.values_list("tenant_id", flat=True).distinct()
    for tenant_id in tenant_ids:
        if ThesaurusEntry.objects.filter(tenant_id=tenant_id).exists():
            continue
        categories = dict(
            Category.objects.filter(tenant_id=tenant_id).values_list("name", "pk")
        )
        ThesaurusEntry.objects.bulk_create(
            [
                ThesaurusEntry(
                    tenant_id=tenant_id,
                    category_id=categories.get(category),
                    headword=headword,
                    synonyms=" ".join(synonyms.split()),
                    related=" ".join(related.split()),
                    is_target=headword in TARGET_HEADWORDS,
                )
                for category, headword, synonyms, related in DEFAULT_THESAURUS
            ]
        )


class Migration(migrations.Migration):
    dependencies = [("categories", "0002_thesaurus")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
