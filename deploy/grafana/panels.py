"""Small builders over grafana-foundation-sdk so each dashboard reads as a list of questions and queries.

Conventions the queries follow (the services run as several replicas):
- counters are per process: ``sum`` them across replicas;
- gauges every replica reads from the same database (letters, invoices, outbox, statuses): ``max``
  them, never ``sum`` (two replicas would double the number);
- stat panels that count something rare end in ``or vector(0)`` so "nothing" reads as 0, not "No data".
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.builders.common import ReduceDataOptions, VizLegendOptions
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models.common import (
    BigValueColorMode,
    BigValueGraphMode,
    LegendDisplayMode,
    LegendPlacement,
)

#: Every panel queries the Prometheus picked in the dashboard's "datasource" variable.
DATASOURCE = dm.DataSourceRef(type_val="prometheus", uid="${datasource}")
#: The jobs of prometheus.yml / prometheus.compose.yml.
SERVICES = ("profile", "payments", "letters", "invoicing")

GREEN, ORANGE, RED = "green", "orange", "red"


def query(expr: str, legend: str = "__auto", ref: str = "A") -> prometheus.Dataquery:
    """One PromQL target."""
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref).datasource(DATASOURCE)


def thresholds(*steps: tuple[float | None, str]) -> db.ThresholdsConfig:
    """Colour steps; the first step's value is None (from minus infinity)."""
    return (
        db.ThresholdsConfig()
        .mode(dm.ThresholdsMode.ABSOLUTE)
        .steps([dm.Threshold(value=v, color=c) for v, c in steps])
    )


#: Anything above zero is worth a look.
BAD_IF_ANY = ((None, GREEN), (1, RED))


def graph(
    title: str,
    description: str,
    targets: list[tuple[str, str]],
    *,
    unit: str = "short",
    width: int = 12,
    height: int = 8,
    steps: tuple[tuple[float | None, str], ...] | None = None,
) -> timeseries.Panel:
    """A time series panel; targets are (expr, legend) pairs."""
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .min(0)
        .span(width)
        .height(height)
        .fill_opacity(10)
        .legend(
            VizLegendOptions()
            .show_legend(True)
            .display_mode(LegendDisplayMode.LIST)
            .placement(LegendPlacement.BOTTOM)
        )
    )
    for i, (expr, legend) in enumerate(targets):
        panel = panel.with_target(query(expr, legend, ref=chr(ord("A") + i)))
    if steps:
        panel = panel.thresholds(thresholds(*steps))
    return panel


def single(
    title: str,
    description: str,
    expr: str,
    *,
    legend: str = "__auto",
    unit: str = "short",
    width: int = 6,
    height: int = 4,
    steps: tuple[tuple[float | None, str], ...] = ((None, GREEN),),
    graph_mode: BigValueGraphMode = BigValueGraphMode.AREA,
) -> stat.Panel:
    """A stat panel showing the latest value of one query (one value per series)."""
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(height)
        .graph_mode(graph_mode)
        .color_mode(BigValueColorMode.BACKGROUND)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .thresholds(thresholds(*steps))
        .with_target(query(expr, legend))
    )


def new_dashboard(uid: str, title: str, description: str, tags: list[str]) -> db.Dashboard:
    """A dashboard with the datasource picker, UTC time, and links to its siblings."""
    return (
        db.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["autoletter", *tags])
        .timezone("utc")
        .time("now-6h", "now")
        .refresh("30s")
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .with_variable(
            db.DatasourceVariable("datasource")
            .label("Prometheus")
            .type("prometheus")
            .current(dm.VariableOption(selected=True, text="Prometheus", value="prometheus"))
        )
        .link(
            db.DashboardLink("AutoLetter")
            .type(dm.DashboardLinkType.DASHBOARDS)
            .tags(["autoletter"])
            .as_dropdown(True)
            .keep_time(True)
            .include_vars(True)
        )
    )


def layout(built: dm.Dashboard) -> dm.Dashboard:
    """Open rows with their panels beside them (Grafana keeps panels inside a row only when it is
    collapsed), and give every panel a stable id in layout order."""
    flat: list[dm.Panel | dm.RowPanel] = []
    for panel in built.panels or []:
        flat.append(panel)
        if isinstance(panel, dm.RowPanel):
            panel.collapsed = False
            flat.extend(panel.panels or [])
            panel.panels = []
    for number, panel in enumerate(flat, start=1):
        panel.id_val = number
    built.panels = flat
    return built
