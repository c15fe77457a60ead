"""The naive side of bench/dashboards.py: each panel's figures computed straight from the raw rows (GROUP BYs
over clicks, metric and follower snapshots, visits and conversions, then the same arithmetic in Python),
and ``check``, which compares them with the panels' answers. A naive function computes every figure its
panel shows (breakdowns and lists included), so that "x times faster than naive" compares equal work."""

from __future__ import annotations

import datetime as dt
from typing import Any

MEDIAN_BOUND = 0.1  # portevoix.dashboards.durations.MAX_RELATIVE_ERROR


def _bounds(f: Any) -> tuple[dt.datetime, dt.datetime]:
    tz = f.workspace.tzinfo
    return (
        dt.datetime.combine(f.start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(f.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def _local_day_sql(column: str, tz: str) -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        return f"({column} AT TIME ZONE '{tz}')::date"
    return f"strftime('%Y-%m-%d %H', {column})"  # UTC hour: mapped to the local day in Python


def _to_day(value: Any, tz: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    text = str(value)
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    return dt.datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=dt.UTC).astimezone(tz).date()


def _param(value: dt.datetime) -> Any:
    from django.db import connection

    if connection.vendor == "sqlite":
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    return value


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def naive_clicks(f: Any) -> dict[str, Any]:
    since, until = _bounds(f)
    day = _local_day_sql("c.at", f.workspace.timezone)
    rows = _rows(
        f"SELECT {day} AS d, ch.network, SUM(CASE WHEN c.is_bot THEN 0 ELSE 1 END), "  # noqa: S608
        "SUM(CASE WHEN c.is_bot THEN 1 ELSE 0 END) FROM links_click c "
        "JOIN links_shortlink l ON l.id = c.link_id LEFT JOIN channels_channel ch ON ch.id = l.channel_id "
        "WHERE c.workspace_id = %s AND c.at >= %s AND c.at < %s GROUP BY d, ch.network",
        [f.workspace.pk, _param(since), _param(until)],
    )
    _rows(
        "SELECT l.post_id, SUM(CASE WHEN c.is_bot THEN 0 ELSE 1 END) AS h FROM links_click c "
        "JOIN links_shortlink l ON l.id = c.link_id WHERE c.workspace_id = %s AND c.at >= %s AND c.at < %s "
        "GROUP BY l.post_id ORDER BY h DESC LIMIT 20",
        [f.workspace.pk, _param(since), _param(until)],
    )
    tz = f.workspace.tzinfo
    per_day: dict[dt.date, list[int]] = {}
    per_network: dict[str, int] = {}
    for d, network, humans, bots in rows:
        entry = per_day.setdefault(_to_day(d, tz), [0, 0])
        entry[0] += int(humans)
        entry[1] += int(bots)
        per_network[network or ""] = per_network.get(network or "", 0) + int(humans)
    return {"per_day": per_day, "per_network": per_network}


_PARTS = ("likes", "comments", "shares", "quotes", "saves")
_FIGURES = ("views", "reach", "likes", "comments", "shares", "saves", "engagements")


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)


def _last_readings(f: Any, lookback: dt.timedelta) -> dict[tuple[int, dt.date], int]:
    """(channel, local day) -> the count of the channel's last raw reading of that day, from ``lookback``
    before the period to its end: a GROUP BY channel, day for the newest time, joined back for its count
    (SQLite groups by UTC hour: the newest hour of each local day is kept here)."""
    since, until = _bounds(f)
    day = _local_day_sql("collected_at", f.workspace.timezone)
    rows = _rows(
        "SELECT s.channel_id, g.d, s.collected_at, s.followers FROM metrics_followersnapshot s JOIN ("  # noqa: S608
        f"SELECT channel_id, {day} AS d, MAX(collected_at) AS m FROM metrics_followersnapshot "
        "WHERE workspace_id = %s AND collected_at >= %s AND collected_at < %s GROUP BY channel_id, d"
        ") g ON g.channel_id = s.channel_id AND g.m = s.collected_at",
        [f.workspace.pk, _param(since - lookback), _param(until)],
    )
    tz = f.workspace.tzinfo
    last: dict[tuple[int, dt.date], tuple[str, int]] = {}
    for channel_id, d, at, count in rows:
        key = (channel_id, _to_day(d, tz))
        if key not in last or str(at) > last[key][0]:
            last[key] = (str(at), int(count))
    return {key: count for key, (_at, count) in last.items()}


def _followers_at_publication(f: Any) -> dict[tuple[int, dt.date], int]:
    """(channel, local day of the period) -> the channel's followers "at publication" that day: its last
    raw reading of the latest day with readings, on or before it and at most FOLLOWERS_LOOKBACK before."""
    from portevoix.metrics.selectors import FOLLOWERS_LOOKBACK

    last = _last_readings(f, FOLLOWERS_LOOKBACK)
    result: dict[tuple[int, dt.date], int] = {}
    for channel_id in {c for c, _d in last}:
        for n in range((f.end - f.start).days + 1):
            d = f.start + dt.timedelta(days=n)
            for back in range(FOLLOWERS_LOOKBACK.days + 1):
                found = last.get((channel_id, d - dt.timedelta(days=back)))
                if found is not None:
                    result[(channel_id, d)] = found
                    break
    return result


def _post_figures(f: Any) -> tuple[list[dict[str, Any]], int]:
    """Every target published in the period with its newest raw snapshot (a GROUP BY target for the newest
    time, joined back), its post, rubric and channel, followers at publication, engagements, ER and ERR;
    and the number of targets published in the period."""
    from portevoix.metrics import formulas

    since, until = _bounds(f)
    rows = _rows(
        "SELECT t.id, t.post_id, t.channel_id, ch.network, p.rubric_id, t.published_at, "
        "s.views, s.reach, s.likes, s.comments, s.shares, s.saves, s.quotes "
        "FROM metrics_postmetricsnapshot s JOIN (SELECT target_id, MAX(collected_at) AS m "
        "FROM metrics_postmetricsnapshot WHERE workspace_id = %s "
        "GROUP BY target_id) last ON last.target_id = s.target_id AND last.m = s.collected_at "
        "JOIN publishing_target t ON t.id = s.target_id JOIN content_post p ON p.id = t.post_id "
        "JOIN channels_channel ch ON ch.id = t.channel_id "
        "WHERE t.published_at >= %s AND t.published_at < %s",
        [f.workspace.pk, _param(since), _param(until)],
    )
    (published,) = _rows(
        "SELECT COUNT(*) FROM publishing_target WHERE workspace_id = %s AND state = 'published' "
        "AND published_at >= %s AND published_at < %s",
        [f.workspace.pk, _param(since), _param(until)],
    )[0]
    followers = _followers_at_publication(f)
    tz = f.workspace.tzinfo
    posts = []
    for (
        target,
        post,
        channel,
        network,
        rubric,
        at,
        views,
        reach,
        likes,
        comments,
        shares,
        saves,
        quotes,
    ) in rows:
        published_at = _aware(at)
        count = followers.get((channel, published_at.astimezone(tz).date()))
        engagements = formulas.engagements(
            likes=likes, comments=comments, shares=shares, saves=saves, quotes=quotes
        )
        posts.append(
            {
                "target_id": target, "post_id": post, "channel_id": channel, "network": network,
                "rubric_id": rubric, "published_at": published_at, "views": views, "reach": reach,
                "likes": likes, "comments": comments, "shares": formulas.shares_total(shares, quotes),
                "saves": saves, "engagements": engagements, "followers": count,
                "er": formulas.er(engagements, count),
                "err": formulas.err(engagements, reach=reach, views=views),
            }
        )  # fmt: skip
    return posts, int(published)


def _group_figures(posts: list[dict[str, Any]]) -> dict[str, Any]:
    """A group's figures as docs/dashboards.md defines them: each figure summed where known; ER = average
    engagements of the posts that have some / average followers at publication x 100; ERR = engagements
    / reach (or views) over the posts that have both."""
    from portevoix.metrics import formulas

    result: dict[str, Any] = {"posts": len(posts)}
    for name in _FIGURES:
        known = [post[name] for post in posts if post[name] is not None]
        result[name] = sum(known) if known else None
    engaged = [post["engagements"] for post in posts if post["engagements"] is not None]
    counts = [post["followers"] for post in posts if post["followers"] is not None]
    er = None
    if engaged and counts:
        er = formulas.rate(sum(engaged) / len(engaged), sum(counts) / len(counts))
    result["er"] = None if er is None else round(er, 2)
    both = [
        (post["engagements"], post["reach"] if post["reach"] is not None else post["views"])
        for post in posts
        if post["engagements"] is not None and (post["reach"] if post["reach"] is not None else post["views"])
    ]
    both = [(e, seen) for e, seen in both if seen > 0]
    result["err"] = round(sum(e for e, _s in both) / sum(s for _e, s in both) * 100, 2) if both else None
    return result


def naive_posts(f: Any) -> dict[str, Any]:
    """The posts panel's figures from the raw snapshots: totals, per channel, network and rubric, and the
    newest MAX_POSTS posts with their ER and ERR."""
    from portevoix.dashboards.selectors import MAX_POSTS

    posts, published = _post_figures(f)
    groups: dict[str, dict[Any, list[dict[str, Any]]]] = {"channel": {}, "network": {}, "rubric": {}}
    for post in posts:
        for kind, key in (
            ("channel", post["channel_id"]),
            ("network", post["network"]),
            ("rubric", post["rubric_id"]),
        ):
            groups[kind].setdefault(key, []).append(post)
    newest = sorted(posts, key=lambda post: (post["published_at"], post["target_id"]), reverse=True)
    return {
        "totals": {**_group_figures(posts), "published": published},
        "by": {
            kind: {key: _group_figures(items) for key, items in found.items()}
            for kind, found in groups.items()
        },
        "newest": [
            (
                post["target_id"],
                None if post["er"] is None else round(post["er"], 2),
                None if post["err"] is None else round(post["err"], 2),
            )
            for post in newest[:MAX_POSTS]
        ],
    }


def naive_best_worst(f: Any) -> dict[str, Any]:
    """The best and worst posts by ERR (or by engagements when no post has reach or views), from the raw
    snapshots: the target ids in order and the number of posts ranked."""
    from portevoix.dashboards.selectors import BEST

    posts, _published = _post_figures(f)
    ranked = [(post["err"], post["target_id"]) for post in posts if post["err"] is not None]
    if not ranked:
        ranked = [
            (post["engagements"], post["target_id"]) for post in posts if post["engagements"] is not None
        ]
    best = [target for _key, target in sorted(ranked, key=lambda item: (-item[0], item[1]))[:BEST]]
    tail = [target for _key, target in sorted(ranked, key=lambda item: (item[0], -item[1]))]
    worst = [target for target in tail if target not in best][:BEST] if len(ranked) > BEST else []
    return {"ranked": len(ranked), "best": best, "worst": worst}


def naive_followers(f: Any) -> dict[str, Any]:
    """The followers panel's figures from the raw hourly readings: each channel's last reading of each local
    day (a GROUP BY channel, day for the newest time, joined back for its count) from a month before the
    period; then the start, end and growth per channel and the total per day (counts carried forward)."""
    from portevoix.dashboards.selectors import FOLLOWER_START_LOOKBACK

    channels = _rows(
        "SELECT id, network FROM channels_channel WHERE workspace_id = %s ORDER BY network, name",
        [f.workspace.pk],
    )
    last = _last_readings(f, FOLLOWER_START_LOOKBACK)
    days = [f.start + dt.timedelta(days=n) for n in range((f.end - f.start).days + 1)]
    per_channel: dict[int, tuple[int | None, int | None, int | None]] = {}
    total = [0] * len(days)
    known = [False] * len(days)
    for channel_id, _network in channels:
        readings = sorted((d, n) for (c, d), n in last.items() if c == channel_id)
        before = [r for r in readings if r[0] < f.start]
        inside = [r for r in readings if f.start <= r[0] <= f.end]
        start = before[-1] if before else (inside[0] if inside else None)
        end = inside[-1] if inside else (before[-1] if before else None)
        per_channel[channel_id] = (
            start[1] if start else None,
            end[1] if end else None,
            end[1] - start[1] if start and end else None,
        )
        value = before[-1][1] if before else None
        by_day = dict(inside)
        for n, d in enumerate(days):
            value = by_day.get(d, value)
            if value is not None:
                total[n] += value
                known[n] = True
    return {
        "channels": per_channel,
        "series": [value if seen else None for value, seen in zip(total, known, strict=True)],
    }


def _median(counts: dict[int, int]) -> float | None:
    """The median of values given as {value: how many} (statistics.median's definition)."""
    total = sum(counts.values())
    if not total:
        return None
    wanted = ((total + 1) // 2, total // 2 + 1)
    found: list[int] = []
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        while len(found) < 2 and seen >= wanted[len(found)]:
            found.append(value)
    return (found[0] + found[1]) / 2


def naive_site(f: Any) -> dict[str, Any]:
    """The site panel's figures from the raw visits: totals, bounces, engaged time and its median per
    network (a GROUP BY network, engaged seconds), per day, per campaign, per post."""
    since, until = _bounds(f)
    where = "FROM analytics_visit WHERE workspace_id = %s AND started_at >= %s AND started_at < %s"
    params = [f.workspace.pk, _param(since), _param(until)]
    sums = "COUNT(*), SUM(CASE WHEN bounced THEN 1 ELSE 0 END), SUM(engaged_seconds)"
    rows = _rows(f"SELECT network, engaged_seconds, {sums} {where} GROUP BY network, engaged_seconds", params)
    day = _local_day_sql("started_at", f.workspace.timezone)
    _rows(f"SELECT {day} AS d, COUNT(*) {where} AND network <> '' GROUP BY d", params)
    _rows(
        f"SELECT campaign, {sums} {where} AND network <> '' GROUP BY campaign ORDER BY 2 DESC LIMIT 20",
        params,
    )
    _rows(
        f"SELECT post_id, {sums} {where} AND post_id IS NOT NULL GROUP BY post_id ORDER BY 2 DESC LIMIT 20",
        params,
    )
    every: dict[int, int] = {}
    social: dict[int, int] = {}
    per_network: dict[str, dict[int, int]] = {}
    for network, seconds, count, _bounces, _seconds in rows:
        every[seconds] = every.get(seconds, 0) + int(count)
        if network:
            social[seconds] = social.get(seconds, 0) + int(count)
            per_network.setdefault(network, {})[seconds] = int(count)
    return {
        "social_visits": sum(social.values()),
        "visits": sum(every.values()),
        "median_duration": _median(every),
        "social_median_duration": _median(social),
        "medians": {network: _median(counts) for network, counts in per_network.items()},
    }


def _conversion_groups(f: Any) -> list[tuple[Any, ...]]:
    since, until = _bounds(f)
    return _rows(
        "SELECT goal, network, campaign, post_id, currency, COUNT(*), COUNT(revenue), SUM(revenue) "
        "FROM analytics_conversion WHERE workspace_id = %s AND at >= %s AND at < %s "
        "GROUP BY goal, network, campaign, post_id, currency",
        [f.workspace.pk, _param(since), _param(until)],
    )


def naive_conversions(f: Any) -> dict[str, Any]:
    """The conversions panel's figures from the raw rows: conversions and revenue per goal, network,
    campaign, post and currency; sessions and sessions with a conversion (a visit counted once) per
    network and campaign of the visit."""
    since, until = _bounds(f)
    rows = _conversion_groups(f)
    sessions = _rows(
        "SELECT v.network, v.campaign, COUNT(*), SUM(CASE WHEN EXISTS (SELECT 1 FROM analytics_conversion c "
        "WHERE c.visit_id = v.id) THEN 1 ELSE 0 END) FROM analytics_visit v WHERE v.workspace_id = %s "
        "AND v.started_at >= %s AND v.started_at < %s GROUP BY v.network, v.campaign",
        [f.workspace.pk, _param(since), _param(until)],
    )
    visits = sum(int(r[2]) for r in sessions)
    converted = sum(int(r[3]) for r in sessions)
    per_network: dict[str, list[int]] = {}
    for network, _campaign, count, with_goal in sessions:
        if network:
            entry = per_network.setdefault(network, [0, 0])
            entry[0] += int(count)
            entry[1] += int(with_goal)
    return {
        "conversions": sum(int(r[5]) for r in rows),
        "sessions": visits,
        "converted_sessions": converted,
        "rates": {k: round(c / v * 100, 2) for k, (v, c) in per_network.items() if v},
    }


def naive_funnel(f: Any) -> dict[str, Any]:
    since, until = _bounds(f)
    clicks = _rows(
        "SELECT l.post_id, SUM(CASE WHEN c.is_bot THEN 0 ELSE 1 END) FROM links_click c "
        "JOIN links_shortlink l ON l.id = c.link_id WHERE c.workspace_id = %s AND c.at >= %s AND c.at < %s "
        "GROUP BY l.post_id",
        [f.workspace.pk, _param(since), _param(until)],
    )
    visits = _rows(
        "SELECT post_id, COUNT(*) FROM analytics_visit WHERE workspace_id = %s AND started_at >= %s "
        "AND started_at < %s AND network <> '' GROUP BY post_id",
        [f.workspace.pk, _param(since), _param(until)],
    )
    conversions = _conversion_groups(f)
    return {
        "clicks": sum(int(r[1]) for r in clicks),
        "visits": sum(int(r[1]) for r in visits),
        "conversions": sum(int(r[5]) for r in conversions if r[1]),  # attributed to a social network
    }


NAIVE = {
    "followers": naive_followers,
    "posts": naive_posts,
    "best_worst": naive_best_worst,
    "clicks": naive_clicks,
    "site": naive_site,
    "conversions": naive_conversions,
    "funnel": naive_funnel,
}


def _check_posts(f: Any) -> list[str]:
    from portevoix.dashboards import selectors

    problems = []
    panel, naive = selectors.panel_posts(f), naive_posts(f)
    keys = ("posts", "published", *_FIGURES, "er", "err")
    for key in keys:
        if panel["totals"][key] != naive["totals"][key]:
            problems.append(
                f"posts {key}: {panel['totals'][key]} != {naive['totals'][key]} for {f.start}..{f.end}"
            )
    for kind, field in (("channel", "channel_id"), ("network", "network"), ("rubric", "rubric_id")):
        rolled = {
            group[field]: {key: group[key] for key in keys[:1] + keys[2:]} for group in panel[f"by_{kind}"]
        }
        if rolled != naive["by"][kind]:
            problems.append(f"posts per {kind} differ for {f.start}..{f.end}")
    if [(p["target_id"], p["er"], p["err"]) for p in panel["posts"]] != naive["newest"]:
        problems.append(f"newest posts differ for {f.start}..{f.end}")
    best, naive_b = selectors.panel_best_worst(f), naive_best_worst(f)
    if (
        best["totals"]["ranked"],
        [p["target_id"] for p in best["best"]],
        [p["target_id"] for p in best["worst"]],
    ) != (naive_b["ranked"], naive_b["best"], naive_b["worst"]):
        problems.append(f"best and worst posts differ for {f.start}..{f.end}")
    return problems


def check(f: Any) -> list[str]:
    """Each panel against the naive answer for the same range; returns the differences."""
    from portevoix.dashboards import selectors

    problems = []
    followers, naive_f = selectors.panel_followers(f), naive_followers(f)
    if followers["series"] != naive_f["series"]:
        problems.append(f"followers per day differ for {f.start}..{f.end}")
    per_channel = {
        c["channel_id"]: (c["start_followers"], c["end_followers"], c["growth"])
        for c in followers["channels"]
    }
    if per_channel != naive_f["channels"]:
        problems.append(f"followers per channel differ for {f.start}..{f.end}")
    clicks, naive = selectors.panel_clicks(f), naive_clicks(f)
    rolled = {
        dt.date.fromisoformat(d): [h, b]
        for d, h, b in zip(clicks["days"], clicks["humans"], clicks["bots"], strict=True)
        if h or b
    }
    if rolled != naive["per_day"]:
        problems.append(f"clicks per day differ for {f.start}..{f.end}")
    if {g["network"]: g["humans"] for g in clicks["by_network"]} != naive["per_network"]:
        problems.append(f"clicks per network differ for {f.start}..{f.end}")
    problems += _check_posts(f)
    site_panel, naive_s = selectors.panel_site(f), naive_site(f)
    site = site_panel["totals"]
    if (site["social_visits"], site["visits"]) != (naive_s["social_visits"], naive_s["visits"]):
        problems.append(f"visits differ for {f.start}..{f.end}")
    # The median comes from a histogram: within durations.MAX_RELATIVE_ERROR of the exact one (docs).
    medians = [(key, site[key], naive_s[key]) for key in ("median_duration", "social_median_duration")] + [
        (g["network"], g["median_duration"], naive_s["medians"].get(g["network"]))
        for g in site_panel["by_network"]
    ]
    for key, rolled, exact in medians:
        if (rolled is None) != (exact is None) or (
            exact is not None and abs(rolled - exact) > exact * MEDIAN_BOUND + 0.05
        ):
            problems.append(f"median {key}: {rolled} vs exact {exact} for {f.start}..{f.end}")
    conversions, naive_c = selectors.panel_conversions(f), naive_conversions(f)
    totals = conversions["totals"]
    if (totals["conversions"], totals["sessions"], totals["converted_sessions"]) != (
        naive_c["conversions"], naive_c["sessions"], naive_c["converted_sessions"],
    ):  # fmt: skip
        problems.append(f"conversions or converted sessions differ for {f.start}..{f.end}")
    rates = {g["network"]: g["conversion_rate"] for g in conversions["by_network"] if g["sessions"]}
    if rates != naive_c["rates"]:
        problems.append(f"conversion rates per network differ for {f.start}..{f.end}")
    funnel, naive_fu = selectors.panel_funnel(f)["totals"], naive_funnel(f)
    if (funnel["clicks"], funnel["visits"], funnel["conversions"]) != (
        naive_fu["clicks"], naive_fu["visits"], naive_fu["conversions"],
    ):  # fmt: skip
        problems.append(f"funnel differs for {f.start}..{f.end}")
    return problems
