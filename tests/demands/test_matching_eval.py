"""The hand-labelled evaluation set (`make eval-matching`) as a guard: the figures it prints
must stay where the engine brought them."""

from __future__ import annotations

import pytest

from demo import matching_eval


@pytest.mark.django_db
def test_the_engine_proposes_what_a_street_worker_would():
    spec = matching_eval.load()
    report = matching_eval.evaluate(matching_eval.build(spec), spec)
    p1, recall, mrr = report.engine["overall"].row()
    assert p1 >= 0.9 and recall >= 0.9 and mrr >= 0.9
    for group, figures in report.engine.items():
        assert figures.row()[0] > report.random[group].row()[0], group
    assert report.violations == 0 and report.place_keywords == 0
    assert report.no_fit_proposed == 0
    assert report.full_pass_agrees == len(spec["demand"])
