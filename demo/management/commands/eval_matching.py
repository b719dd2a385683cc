"""`make eval-matching`: the matching engine's figures on the hand-labelled evaluation set.

Runs in a database of its own, created and dropped here (like a test database), so it never
touches the configured one: on PostgreSQL `eval_<name>`, on SQLite an in-memory one.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.test.utils import setup_databases, teardown_databases

from demo import matching_eval


class Command(BaseCommand):
    help = "P@1, recall@5 and MRR of the matching engine on the labelled set, beside random order."

    def add_arguments(self, parser):
        parser.add_argument("--verbose-misses", action="store_true", help="list every miss")

    def handle(self, *args, verbose_misses=False, **options):
        database = settings.DATABASES["default"]
        if database["ENGINE"].endswith("postgresql"):
            database.setdefault("TEST", {})["NAME"] = f"eval_{database['NAME']}"
        old = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        try:
            spec = matching_eval.load()
            world = matching_eval.build(spec)
            report = matching_eval.evaluate(world, spec)
        finally:
            teardown_databases(old, verbosity=0)
        self.stdout.write(
            f"Matching evaluation: {len(spec['demand'])} demands, {len(spec['resource'])} "
            f"resources, {len(spec.get('history', []))} past claims "
            f"(random: mean of {matching_eval.RANDOM_ORDERS} orders of the eligible candidates)"
        )
        for line in matching_eval.format_report(report, verbose=verbose_misses):
            self.stdout.write(line)
