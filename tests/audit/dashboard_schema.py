"""Cloud Monitoring's Dashboard resource as a JSON Schema, written from the API reference.

https://cloud.google.com/monitoring/api/ref_v3/rest/v1/projects.dashboards (Dashboard,
MosaicLayout, Tile, Widget, XyChart, DataSet, TimeSeriesQuery, Scorecard, GaugeView,
Threshold, Axis, Text). No schema file is published; this covers the fields rayfort
writes and refuses every other one (``additionalProperties: false``), so a misspelt
field, a wrong enum value or two layouts at once fail here instead of at apply.
"""

from __future__ import annotations

from typing import Any


def _enum(*values: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def _one_of(*fields: str) -> list[dict[str, Any]]:
    return [{"required": [name]} for name in fields]


TIME_SERIES_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "timeSeriesFilter": {"type": "object"},
        "timeSeriesFilterRatio": {"type": "object"},
        "timeSeriesQueryLanguage": {"type": "string"},
        "prometheusQuery": {"type": "string", "minLength": 1},
        "unitOverride": {"type": "string"},
        "outputFullDuration": {"type": "boolean"},
    },
    "oneOf": _one_of("timeSeriesFilter", "timeSeriesFilterRatio", "timeSeriesQueryLanguage", "prometheusQuery"),
}
TARGET_AXIS = _enum("TARGET_AXIS_UNSPECIFIED", "Y1", "Y2")
THRESHOLD = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "label": {"type": "string"},
        "value": {"type": "number"},
        "color": _enum("COLOR_UNSPECIFIED", "GREY", "BLUE", "GREEN", "YELLOW", "ORANGE", "RED"),
        "direction": _enum("DIRECTION_UNSPECIFIED", "ABOVE", "BELOW"),
        "targetAxis": TARGET_AXIS,
    },
}
AXIS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"label": {"type": "string"}, "scale": _enum("SCALE_UNSPECIFIED", "LINEAR", "LOG10")},
}
DATA_SET = {
    "type": "object",
    "additionalProperties": False,
    "required": ["timeSeriesQuery"],
    "properties": {
        "timeSeriesQuery": TIME_SERIES_QUERY,
        "plotType": _enum("PLOT_TYPE_UNSPECIFIED", "LINE", "STACKED_AREA", "STACKED_BAR", "HEATMAP"),
        "legendTemplate": {"type": "string"},
        "minAlignmentPeriod": {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?s$"},
        "targetAxis": TARGET_AXIS,
    },
}
XY_CHART = {
    "type": "object",
    "additionalProperties": False,
    "required": ["dataSets"],
    "properties": {
        "dataSets": {"type": "array", "minItems": 1, "items": DATA_SET},
        "timeshiftDuration": {"type": "string"},
        "thresholds": {"type": "array", "items": THRESHOLD},
        "xAxis": AXIS,
        "yAxis": AXIS,
        "y2Axis": AXIS,
        "chartOptions": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"mode": _enum("MODE_UNSPECIFIED", "COLOR", "X_RAY", "STATS")},
        },
    },
}
SCORECARD = {
    "type": "object",
    "additionalProperties": False,
    "required": ["timeSeriesQuery"],
    "properties": {
        "timeSeriesQuery": TIME_SERIES_QUERY,
        "gaugeView": {
            "type": "object",
            "additionalProperties": False,
            "required": ["lowerBound", "upperBound"],
            "properties": {"lowerBound": {"type": "number"}, "upperBound": {"type": "number"}},
        },
        "sparkChartView": {
            "type": "object",
            "additionalProperties": False,
            "required": ["sparkChartType"],
            "properties": {
                "sparkChartType": _enum("SPARK_CHART_TYPE_UNSPECIFIED", "SPARK_LINE", "SPARK_BAR"),
                "minAlignmentPeriod": {"type": "string"},
            },
        },
        "thresholds": {"type": "array", "items": THRESHOLD},
    },
    "not": {"required": ["gaugeView", "sparkChartView"]},
}
TEXT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "content": {"type": "string"},
        "format": _enum("FORMAT_UNSPECIFIED", "MARKDOWN", "RAW"),
        "style": {"type": "object"},
    },
}
WIDGET = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string"},
        "id": {"type": "string"},
        "xyChart": XY_CHART,
        "scorecard": SCORECARD,
        "text": TEXT,
    },
    "oneOf": _one_of("xyChart", "scorecard", "text"),
}
TILE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["width", "height", "widget"],
    "properties": {
        "xPos": {"type": "integer", "minimum": 0},
        "yPos": {"type": "integer", "minimum": 0},
        "width": {"type": "integer", "minimum": 1},
        "height": {"type": "integer", "minimum": 1},
        "widget": WIDGET,
    },
}
DASHBOARD_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["displayName"],
    "properties": {
        "name": {"type": "string"},
        "displayName": {"type": "string", "minLength": 1},
        "etag": {"type": "string"},
        "labels": {
            "type": "object",
            "propertyNames": {"pattern": r"^[a-z][-_a-z0-9]{0,62}$"},
            "additionalProperties": {"type": "string", "pattern": r"^[-_a-z0-9]{0,63}$"},
        },
        "dashboardFilters": {"type": "array"},
        "gridLayout": {"type": "object"},
        "rowLayout": {"type": "object"},
        "columnLayout": {"type": "object"},
        "mosaicLayout": {
            "type": "object",
            "additionalProperties": False,
            "required": ["columns", "tiles"],
            "properties": {
                "columns": {"type": "integer", "minimum": 1, "maximum": 48},
                "tiles": {"type": "array", "items": TILE},
            },
        },
    },
    "oneOf": _one_of("gridLayout", "mosaicLayout", "rowLayout", "columnLayout"),
}
