"""A period's report figures, assembled from the other apps' reads (docs/reports.md).

Sources: post metrics and followers (metrics/selectors.py, formulas in metrics/formulas.py), human clicks on
short links (the links app's hourly roll-up), site visits and conversions from the first-party tracker
(the analytics app, when installed) or else from the imported GA4 / Yandex Metrica traffic
(integrations/selectors.py ``traffic_by_source``). Every figure names its formula (METRICS.md); a figure a
source does not give is ``None`` ("not available"), never 0.

- types.py: what a report holds (Figure, PostRow, NetworkRow, FunnelStep, Chart, Report).
- sources.py: reading the sources (site figures, clicks, audience).
- build.py: ``report_build``, the report of a period with the previous period for comparison.

Call inside ``translation.override(language)``: labels and notes are translated when built.
"""

from portevoix.reports.data.build import previous_period, report_build
from portevoix.reports.data.sources import social_network_of, tracker_installed
from portevoix.reports.data.types import Chart, Figure, FunnelStep, NetworkRow, PostRow, Report, Series

__all__ = [
    "Chart",
    "Figure",
    "FunnelStep",
    "NetworkRow",
    "PostRow",
    "Report",
    "Series",
    "previous_period",
    "report_build",
    "social_network_of",
    "tracker_installed",
]
