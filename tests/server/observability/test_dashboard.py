"""The Grafana dashboard (deploy/grafana/dashboards/openvidu.json): every query names only metrics the server
exports, every panel has a query on the provisioned Prometheus, and every exported openvidu_* family is shown.

The exported names are read from the registry of a real app (``create_app``): each family with the sample names
its type gives (``_total`` of counters; ``_bucket``/``_sum``/``_count`` of histograms).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from server.api.pro import PRO
from server.app import create_app
from server.parts import parts_of_app
from server.settings import Settings
from tests.support.procs import REPO_ROOT

DASHBOARD = REPO_ROOT / "deploy" / "grafana" / "dashboards" / "openvidu.json"
PROMQL_WORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless"}
)
IDENTIFIER = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def dashboard() -> dict[str, Any]:
    document = json.loads(DASHBOARD.read_text())
    assert isinstance(document, dict)
    return document


def all_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from all_panels(panel.get("panels", []))


def queries(document: dict[str, Any]) -> list[str]:
    exprs = [t["expr"] for p in all_panels(document["panels"]) for t in p.get("targets", [])]
    for variable in document["templating"]["list"]:
        if variable["type"] == "query":
            exprs.append(
                variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
            )
    return exprs


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression (or a Grafana ``label_values(metric, label)``) reads."""
    label_values = re.fullmatch(r"label_values\((\w+),\s*\w+\)", expr)
    if label_values:
        return {label_values.group(1)}
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in IDENTIFIER.finditer(text):
        word = match.group(0)
        following = text[match.end() :].lstrip()[:1]
        if word in PROMQL_WORDS or following == "(":
            continue
        names.add(word)
    return names


def exported() -> set[str]:
    registry = parts_of_app(create_app(Settings(kms_uris=()))).get(PRO).stats.metrics.registry
    names = set()
    for family in registry.collect():
        if family.type == "counter":
            names.add(family.name + "_total")
        elif family.type == "histogram":
            names.update(family.name + suffix for suffix in ("_bucket", "_sum", "_count"))
        else:
            names.add(family.name)
    return names


def test_metric_name_extraction() -> None:
    assert metric_names('sum by (le, route) (rate(a_bucket{instance=~"$x"}[$__rate_interval]))') == {
        "a_bucket"
    }
    assert metric_names('100 * used{i="a"} / total') == {"used", "total"}
    assert metric_names("histogram_quantile(0.95, sum by (le) (rate(h_bucket[5m])))") == {"h_bucket"}
    assert metric_names("label_values(openvidu_sessions, instance)") == {"openvidu_sessions"}


@pytest.fixture(scope="module")
def names() -> set[str]:
    return exported()


def test_every_query_names_an_exported_metric(names: set[str]) -> None:
    document = dashboard()
    all_queries = queries(document)
    assert len(all_queries) >= 20
    for expr in all_queries:
        used = metric_names(expr)
        assert used, f"no metric in {expr!r}"
        assert used <= names, f"{expr!r} names {used - names}, not exported by the server"


def test_every_panel_queries_the_provisioned_prometheus() -> None:
    document = dashboard()
    variables = {v["name"]: v for v in document["templating"]["list"]}
    assert variables["datasource"]["query"] == "prometheus"
    assert (
        variables["datasource"]["current"]["value"] == "openvidu-prometheus"
    )  # the provisioned data source uid
    graphs = [p for p in all_panels(document["panels"]) if p["type"] != "row"]
    assert len(graphs) >= 15
    ids = [p["id"] for p in all_panels(document["panels"])]
    assert len(ids) == len(set(ids))
    for panel in graphs:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), panel["title"]
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]


def test_every_openvidu_family_has_a_panel(names: set[str]) -> None:
    shown = {name for expr in queries(dashboard()) for name in metric_names(expr)}
    wanted = {
        name
        for name in names
        if name.startswith("openvidu_")
        and not name.endswith(("_sum", "_bucket"))
        and name
        not in {
            "openvidu_stats_last_sample_timestamp_ms",
            "openvidu_webrtc_endpoints",
            "openvidu_webhook_enabled",
        }
        and not name.startswith("openvidu_host_net_")
    }
    missing = {name for name in wanted if name not in shown and name + "_bucket" not in shown}
    assert not missing, f"exported but on no panel: {missing}"
