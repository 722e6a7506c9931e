"""The monthly report as a file: Markdown, CSV or Excel (`python -m bot report`).

The data comes from bot.domain.reports; complainants appear as counts, never names.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from bot import texts
from bot.domain.reports import MonthlyReport

CASE_COLUMNS = ["社区", "工单", "类别", "位置", "状态", "诉求人数", "用时", "群体诉求", "紧急"]


def _rows(report: MonthlyReport) -> list[list[str]]:
    return [[report.community, f"#{x.case_id}", x.category, x.location, x.state,
             str(x.complainants), texts.duration(x.took), "是" if x.group_complaint else "",
             "是" if x.urgent else ""] for x in report.cases]


def _summary(report: MonthlyReport) -> list[tuple[str, str]]:
    st = report.stats
    response, resolution, satisfaction = report.rates()
    return [("受理", str(st.opened)), ("响应率", response), ("解决率", resolution),
            ("满意率", satisfaction), ("超时", str(st.overdue)), ("重新处理", str(st.reopened)),
            ("群体诉求", str(st.group_complaints))]


def to_markdown(reports: Sequence[MonthlyReport]) -> str:
    out = []
    for report in reports:
        out.append(f"# {report.community} {report.month} 社情民意月报\n")
        out.append("| 指标 | 数值 |\n|---|---|")
        out += [f"| {k} | {v} |" for k, v in _summary(report)]
        out.append("\n## 按类别\n\n| 类别 | 件数 |\n|---|---|")
        out += [f"| {c} | {n} |" for c, n in report.by_category]
        out.append("\n## 用时最长\n")
        out += [f"- #{x.case_id} {x.category}{x.location}：{texts.duration(x.took)}（{x.state}）"
                for x in report.slowest] or ["- 无"]
        out.append("\n## 群体诉求\n")
        out += [f"- #{x.case_id} {x.category}{x.location}：{x.complainants} 人（{x.state}）"
                for x in report.group_complaints] or ["- 无"]
        out.append("\n## 工单明细\n")
        out.append("| " + " | ".join(CASE_COLUMNS[1:]) + " |")
        out.append("|" + "---|" * (len(CASE_COLUMNS) - 1))
        out += ["| " + " | ".join(row[1:]) + " |" for row in _rows(report)]
        out.append("")
    return "\n".join(out)


def to_csv(reports: Sequence[MonthlyReport]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CASE_COLUMNS)
    for report in reports:
        writer.writerows(_rows(report))
    return buf.getvalue()


def to_xlsx(reports: Sequence[MonthlyReport]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for report in reports:
        summary = book.create_sheet(f"{report.community[:20]}汇总")
        summary.append(["指标", "数值"])
        for row in _summary(report):
            summary.append(list(row))
        summary.append([])
        summary.append(["类别", "件数"])
        for category, n in report.by_category:
            summary.append([category, n])
        cases = book.create_sheet(f"{report.community[:20]}明细")
        cases.append(CASE_COLUMNS)
        for row in _rows(report):
            cases.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
