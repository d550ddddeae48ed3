"""A queryset compiled once per connection (backend/core/prepared.py) gives what the ORM gives."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Q
from django.db.models.functions import Upper

from backend.accounts.models import Clinic
from backend.core.prepared import PreparedQuery

pytestmark = pytest.mark.django_db


def _by_names(values: tuple[str, str]) -> Any:
    first, second = values
    return Clinic.objects.filter(Q(name=first) | Q(name=second)).annotate(loud=Upper("name")).order_by("name")


def test_a_query_of_two_values_gives_the_orms_instances_and_annotations_for_any_values() -> None:
    for name in ("Lakeside", "Hillcrest", "Riverbend"):
        Clinic.objects.create(name=name)
    query = PreparedQuery(_by_names, ("placeholder: first", "placeholder: second"))

    for values in (("Lakeside", "Riverbend"), ("Hillcrest", "Nowhere")):
        prepared = query.run(values)
        expected = list(_by_names(values))

        assert [(c.pk, c.name, c.loud) for c in prepared] == [(c.pk, c.name, c.loud) for c in expected]


def test_a_placeholder_that_does_not_reach_the_sql_is_refused() -> None:
    query = PreparedQuery(lambda values: Clinic.objects.filter(name=values[0]), ("first", "second"))

    with pytest.raises(ValueError, match="placeholder"):
        query.plan()


def test_a_query_without_a_value_reads_what_its_with_clause_gives() -> None:
    Clinic.objects.create(name="Lakeside")
    Clinic.objects.create(name="Hillcrest")
    query = PreparedQuery(
        lambda _: Clinic.objects.extra(where=['"accounts_clinic"."name" IN (SELECT "name" FROM "chosen")']),
        None,
    )

    (clinic,) = query.run(with_sql='WITH "chosen" ("name") AS (SELECT %s) ', with_params=["Hillcrest"])

    assert clinic.name == "Hillcrest"
