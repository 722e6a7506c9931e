"""Open311 GeoReport v2: the words other systems see and the name their requests carry
in the group."""

from __future__ import annotations

SENDER_NAME = "外部系统"  # the complainant of a request filed through Open311
SERVICE_NOTICE = "已转到小区群，由负责的工作人员处理。"
