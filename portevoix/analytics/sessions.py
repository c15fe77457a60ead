"""Turning the tracker's beacons into visits (sessions) and conversions, in batches, from the fast path's
writer thread.

- A pageview opens a visit when the visitor has none open (none seen in the last 30 minutes), else adds to
  it. Source, medium, campaign and content come from the UTM tags of the landing address, else from the
  referrer (a social network by its domain: analytics/networks.py; a search engine: "organic"; another site:
  "referral"; none: "(direct)" / "(none)"). ``network`` is the social network key or "".
- An engagement beacon adds visible-tab seconds to the open visit (none open: ignored).
- A goal stores a conversion (deduplicated by site and order id) joined to the open visit and attributed to
  the visitor's last social visit within 30 days.
- A visit is engaged when it has two or more pageviews, a goal, or at least 10 engaged seconds; ``bounced``
  is its opposite (one pageview, no goal, under 10 s).
- Bots (by user agent, links/clients.py) are dropped and only counted in ``Sessions.bots``.

The open visits are kept in a bounded LRU (``max_sessions``); on a miss the visitor's last visit is read
back from the database, so a restart or an evicted entry continues the session.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from portevoix.analytics import networks
from portevoix.analytics.beacon import Beacon
from portevoix.analytics.models import Conversion, Site, Visit
from portevoix.analytics.services import SESSION_GAP, attribution, hash_visitor

logger = logging.getLogger(__name__)

GAP = SESSION_GAP.total_seconds()
ENGAGED_SECONDS = 10


@dataclass(frozen=True)
class Hit:
    """What the fast path hands to the writer: one accepted beacon and its request's facts."""

    at: float  # unix time
    site_id: int
    workspace_id: int
    beacon: Beacon
    user_agent: str = ""
    address: str | None = None
    page_host: str = ""  # the host of the page that sent it (Origin or Referer), to spot internal referrers


@dataclass
class State:
    visit_id: int
    started: float
    last_seen: float
    pageviews: int
    engaged_seconds: int
    engaged: bool
    network: str
    campaign: str
    post_id: int | None
    dirty: bool = False

    def refresh(self) -> None:
        if self.pageviews >= 2 or self.engaged_seconds >= ENGAGED_SECONDS:
            self.engaged = True


@dataclass
class Batch:
    updates: dict[int, State] = field(default_factory=dict)
    conversions: list[Conversion] = field(default_factory=list)
    seen: dict[int, float] = field(default_factory=dict)


def _utc(at: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(at, dt.UTC)


def traffic_source(
    *, utm: dict[str, str], referrer_host: str, page_host: str = ""
) -> tuple[str, str, str, str, str]:
    """(source, medium, campaign, content, network) of a landing."""
    source, medium = utm.get("source", ""), utm.get("medium", "")
    if source or medium:
        network = networks.classify(utm_source=source, utm_medium=medium, referrer_host=referrer_host)
        return (source, medium, utm.get("campaign", ""), utm.get("content", ""), network)
    host = referrer_host.lower().removeprefix("www.")
    if not host or host == page_host.lower().removeprefix("www."):
        return ("(direct)", "(none)", "", "", "")
    network = networks.network_for_host(host)
    if network:
        return (host, "social", "", "", network)
    return (host, "organic" if networks.is_search_engine(host) else "referral", "", "", "")


class Sessions:
    def __init__(self, *, max_sessions: int = 50_000, geo: Any = None, geoip_path: str | None = None) -> None:
        self.max_sessions = max_sessions
        self._states: collections.OrderedDict[tuple[int, str], State] = collections.OrderedDict()
        self._geo = geo
        self._geoip_path = geoip_path
        self.bots = 0
        self.orphans = 0  # engagement beacons without an open visit

    def __len__(self) -> int:
        return len(self._states)

    def store(self, hits: Sequence[Hit]) -> int:
        """Store a batch; returns the number of hits used. On failure nothing is stored and the in-memory
        state is forgotten (it is read back from the database at the next try)."""
        try:
            with transaction.atomic():
                return self._store(sorted(hits, key=lambda hit: hit.at))
        except BaseException:
            self._states.clear()
            raise

    # --- internals ---

    def _state(self, key: tuple[int, str], at: float) -> State | None:
        state = self._states.get(key)
        if state is not None:
            self._states.move_to_end(key)
            return state
        row = (
            Visit.objects.filter(site_id=key[0], visitor=key[1], last_seen_at__gt=_utc(at - GAP))
            .order_by("-last_seen_at", "-id")
            .values_list(
                "pk",
                "started_at",
                "last_seen_at",
                "pageviews",
                "engaged_seconds",
                "engaged",
                "network",
                "campaign",
                "post_id",
            )
            .first()
        )
        if row is None:
            return None
        state = State(
            row[0], row[1].timestamp(), row[2].timestamp(), row[3], row[4], row[5], row[6], row[7], row[8]
        )
        self._remember(key, state)
        return state

    def _remember(self, key: tuple[int, str], state: State) -> None:
        self._states[key] = state
        self._states.move_to_end(key)
        while len(self._states) > self.max_sessions:
            self._states.popitem(last=False)

    def _store(self, hits: list[Hit]) -> int:
        from portevoix.links.clients import Geo, classify

        if self._geo is None:
            self._geo = Geo(self._geoip_path)
        batch = Batch()
        used = 0
        # A site deleted while its beacons waited in the buffer: they are dropped (not retried forever).
        live = set(Site.objects.filter(pk__in={hit.site_id for hit in hits}).values_list("pk", flat=True))
        for hit in hits:
            if hit.site_id not in live:
                continue
            device, is_bot = classify(hit.user_agent)
            if is_bot:
                self.bots += 1
                continue
            item = hit.beacon
            key = (hit.site_id, hash_visitor(item.site_key, item.visitor))
            state = self._state(key, hit.at)
            if state is not None and hit.at - state.last_seen > GAP:
                state = None
            if item.kind == "pageview":
                if state is None:
                    state = self._open(hit, key, int(device))
                else:
                    state.pageviews += 1
                    state.last_seen = max(state.last_seen, hit.at)
                    state.refresh()
                    batch.updates[state.visit_id] = state
            elif item.kind == "engagement":
                if state is None:
                    self.orphans += 1
                    continue
                state.engaged_seconds += item.seconds
                state.last_seen = max(state.last_seen, hit.at)
                state.refresh()
                batch.updates[state.visit_id] = state
            else:
                batch.conversions.append(self._conversion(hit, key, state))
                if state is not None:
                    state.engaged = True
                    state.last_seen = max(state.last_seen, hit.at)
                    batch.updates[state.visit_id] = state
            used += 1
            batch.seen[hit.site_id] = max(batch.seen.get(hit.site_id, 0.0), hit.at)
        self._write(batch)
        return used

    def _open(self, hit: Hit, key: tuple[int, str], device: int) -> State:
        from portevoix.links.clients import referrer_host

        item = hit.beacon
        utm = dict(item.utm)
        host = referrer_host(item.referrer)
        source, medium, campaign, content, network = traffic_source(
            utm=utm, referrer_host=host, page_host=hit.page_host
        )
        post_id, link_id = self._post_and_link(hit.workspace_id, content, item.link_code)
        at = _utc(hit.at)
        visit = Visit.objects.create(
            workspace_id=hit.workspace_id,
            site_id=hit.site_id,
            visitor=key[1],
            started_at=at,
            last_seen_at=at,
            landing_path=item.path.split("?", 1)[0].split("#", 1)[0][:500],  # never the query
            referrer_host=host,
            source=source[:150],
            medium=medium[:150],
            campaign=campaign[:150],
            content=content[:150],
            network=network,
            post_id=post_id,
            link_id=link_id,
            pageviews=1,
            engaged_seconds=0,
            engaged=False,
            bounced=True,
            device=device,
            country=self._geo.country(hit.address) if self._geo is not None and self._geo.enabled else "",
        )
        state = State(visit.pk, hit.at, hit.at, 1, 0, False, network, campaign[:150], post_id)
        self._remember(key, state)
        return state

    @staticmethod
    def _post_and_link(workspace_id: int, content: str, code: str) -> tuple[int | None, int | None]:
        """The post named by utm_content (a post id of the same workspace), else the short link's post."""
        from portevoix.content.models import Post
        from portevoix.links.models import ShortLink

        post_id = link_id = None
        if content.isdigit() and len(content) < 19:
            post_id = (
                Post.objects.filter(pk=int(content), workspace_id=workspace_id)
                .values_list("pk", flat=True)
                .first()
            )
        if code:
            row = (
                ShortLink.objects.filter(code=code, workspace_id=workspace_id)
                .values_list("pk", "post_id")
                .first()
            )
            if row is not None:
                link_id = row[0]
                post_id = post_id or row[1]
        return post_id, link_id

    def _conversion(self, hit: Hit, key: tuple[int, str], state: State | None) -> Conversion:
        item = hit.beacon
        at = _utc(hit.at)
        network, campaign, post_id = (
            (state.network, state.campaign, state.post_id) if state else ("", "", None)
        )
        if not network:
            touch = attribution(site_id=hit.site_id, visitor=key[1], at=at)
            if touch is not None:
                network, campaign, post_id = touch.network, touch.campaign, touch.post_id
        return Conversion(
            workspace_id=hit.workspace_id,
            site_id=hit.site_id,
            visit_id=state.visit_id if state else None,
            at=at,
            goal=item.goal,
            revenue=item.revenue,
            currency=item.currency,
            network=network,
            campaign=campaign,
            post_id=post_id,
            source="page",
            order_id=item.order_id,
        )

    @staticmethod
    def _write(batch: Batch) -> None:
        if batch.updates:
            rows = [
                Visit(
                    pk=state.visit_id,
                    last_seen_at=_utc(state.last_seen),
                    pageviews=state.pageviews,
                    engaged_seconds=state.engaged_seconds,
                    engaged=state.engaged,
                    bounced=not state.engaged,
                )
                for state in batch.updates.values()
            ]
            Visit.objects.bulk_update(
                rows, ["last_seen_at", "pageviews", "engaged_seconds", "engaged", "bounced"], batch_size=200
            )
        if batch.conversions:
            Conversion.objects.bulk_create(batch.conversions, ignore_conflicts=True, batch_size=200)
        for site_id, at in batch.seen.items():
            Site.objects.filter(pk=site_id).update(last_event_at=_utc(at))
