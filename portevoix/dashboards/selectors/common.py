"""What every panel shares: the formulas shown beside the figures, rates and money, and several queries
read in one round trip."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    QuerySet,
)
from django.db.models.functions import Substr
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portevoix.channels.models import Channel
from portevoix.content.models import Post
from portevoix.dashboards.selectors.filters import Filters
from portevoix.metrics import formulas
from portevoix.workspaces.models import Workspace

# --- Formulas shown with the figures (docs/metrics.md) ----------------------------------------------


# Each figure's formula as shown beside it; translated only for the figures a panel returns.
_FORMULAS = {
    "growth": gettext_noop("followers at the end - followers at the start"),
    "growth_rate": gettext_noop("growth / followers at the start x 100 %"),
    "engagements": gettext_noop("reactions + comments + shares (+ quotes, + saves where given)"),
    "er": gettext_noop("sum of engagements / number of posts / average followers at publication x 100 %"),
    "err": gettext_noop("sum of engagements / sum of reach (views where reach is not given) x 100 %"),
    "post_er": gettext_noop("engagements / followers at publication x 100 %"),
    "post_err": gettext_noop("engagements / reach (or views) x 100 %"),
    "clicks": gettext_noop("clicks on tracked short links by people; bots and link previewers counted apart"),
    "ctr": gettext_noop("human clicks / views x 100 %"),
    "visits_social": gettext_noop("tracker sessions whose source is a social network (UTM or referrer)"),
    "bounce_rate": gettext_noop(
        "single-page sessions without engagement / sessions x 100 % (tracker definition)"
    ),
    "avg_duration": gettext_noop("sum of engaged seconds / sessions (visible-tab time)"),
    "median_duration": gettext_noop(
        "median of the sessions' engaged seconds (visible-tab time); from a histogram: exact under 10 s, "
        "otherwise within 10 %"
    ),
    "conversion_rate": gettext_noop(
        "sessions with at least one goal completion / sessions x 100 % (sessions of the period, by their "
        "own network and campaign)"
    ),
    "conversions": gettext_noop("goal completions, attributed to the last social touch within 30 days"),
    "revenue": gettext_noop("sum of purchase revenue, per currency"),
    "ga_bounce_rate": gettext_noop("as each service defines it (GA4: sessions not engaged)"),
}


def _formulas(*names: str) -> dict[str, str]:
    return {name: _(_FORMULAS[name]) for name in names}


# --- Helpers ----------------------------------------------------------------------------------------


def _rate(numerator: float | int | None, denominator: float | int | None) -> float | None:
    value = formulas.rate(numerator, denominator)
    return None if value is None else round(value, 2)


def _money(value: Decimal | int | float | None) -> str:
    return str(Decimal(str(value or 0)).quantize(Decimal("0.01")))


def _rubric_posts(f: Filters) -> QuerySet[Post]:
    return Post.objects.filter(workspace=f.workspace, rubric_id=f.rubric or 0).values("pk")  # type: ignore[return-value]


def _titles(workspace: Workspace, post_ids: Iterable[int]) -> dict[int, str]:
    ids = [pk for pk in set(post_ids) if pk]
    if not ids:
        return {}
    found = Post.objects.filter(workspace=workspace, pk__in=ids).values_list(
        "pk", "title", Substr("text", 1, 80)
    )
    return {pk: (title or text or f"#{pk}")[:80] for pk, title, text in found}


def _channel_names(workspace: Workspace, ids: Iterable[int]) -> dict[int, str]:
    wanted = [pk for pk in set(ids) if pk]
    if not wanted:
        return {}
    return dict(Channel.objects.filter(workspace=workspace, pk__in=wanted).values_list("pk", "name"))


def _sql(queryset: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    """The SQL of a queryset, to wrap or to run without the ORM's per-row work; ("", ()) when it can match
    nothing (an empty ``__in``)."""
    try:
        return queryset.query.sql_with_params()
    except EmptyResultSet:
        return "", ()


class Raw(NamedTuple):
    """A query written by hand for _together: its SQL, parameters and the SQL types of its columns."""

    sql: str
    params: tuple[Any, ...]
    types: tuple[str, ...]


def cte(n: int) -> str:
    """The name under which _together's ``n``-th query can be read by a later one (columns c0, c1, ...)."""
    return f"t{n}"


def _together(*querysets: QuerySet[Any] | Raw) -> list[list[tuple[Any, ...]]]:
    """The rows of several ``values_list`` querysets (or Raw queries) in one round trip to the database:
    each is a CTE (a later Raw query may read an earlier one's rows as ``cte(n)``), read by UNION ALL with
    its columns in positions of its own (the others typed NULLs, so that no two types meet). Without the
    ORM's converters: the caller converts what it needs (PostgreSQL's integer sums are decimals, SQLite's
    dates text) and sorts what must be sorted."""
    shapes = []
    compiled: list[tuple[str, tuple[Any, ...]]] = []
    for queryset in querysets:  # compiled once: the SQL, then the types of the columns it selects
        if isinstance(queryset, Raw):
            compiled.append((queryset.sql, queryset.params))
            shapes.append(list(queryset.types))
            continue
        compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            compiled.append(compiler.as_sql())
        except EmptyResultSet:  # an empty ``__in``: matches nothing
            compiled.append(("", ()))
            compiler.setup_query()
        shapes.append(
            [column.output_field.db_type(connection) or "text" for column, _sql, _alias in compiler.select]
        )
    widths = [len(shape) for shape in shapes]
    types = [kind for shape in shapes for kind in shape]
    ctes: list[str] = []
    selects: list[str] = []
    params: list[Any] = []
    before = 0
    for n, ((sql, part_params), width) in enumerate(zip(compiled, widths, strict=True)):
        if sql:
            columns = [f"CAST(NULL AS {kind})" for kind in types]
            for k in range(width):
                columns[before + k] = f"t{n}.c{k}"
            ctes.append(f"{cte(n)} ({', '.join(f'c{k}' for k in range(width))}) AS ({sql})")
            selects.append(f"SELECT {n} AS q, {', '.join(columns)} FROM {cte(n)}")  # noqa: S608 (the ORM's SQL)
            params.extend(part_params)
        before += width
    found: list[list[tuple[Any, ...]]] = [[] for _queryset in querysets]
    if selects:
        offsets = [sum(widths[:n]) for n in range(len(widths))]
        with connection.cursor() as cursor:
            cursor.execute(f"WITH {', '.join(ctes)} {' UNION ALL '.join(selects)}", params)
            for row in cursor.fetchall():
                n = row[0]
                found[n].append(tuple(row[1 + offsets[n] : 1 + offsets[n] + widths[n]]))
    return found


def _days(f: Filters) -> list[dt.date]:
    return [f.start + dt.timedelta(days=n) for n in range(f.days)]


def _channel_conditions(f: Filters, alias: str) -> tuple[list[str], list[Any]]:
    """The conditions on the workspace's channels (``alias``) that the filters keep, for SQL by hand."""
    where = [f"{alias}.workspace_id = %s"]
    params: list[Any] = [f.workspace.pk]
    if f.channel:
        where.append(f"{alias}.id = %s")
        params.append(f.channel)
    if f.network:
        where.append(f"{alias}.network = %s")
        params.append(f.network)
    return where, params


def _bounds(f: Filters) -> tuple[dt.datetime, dt.datetime]:
    tz = f.workspace.tzinfo
    return (
        dt.datetime.combine(f.start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(f.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )
