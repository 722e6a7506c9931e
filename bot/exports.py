"""The monthly report as a file: Markdown, CSV or Excel (`python -m bot report`).

The data comes from bot.domain.reports; complainants appear as counts, never names.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from bot import texts
from bot.domain.reports import MonthlyReport
from bot.texts import exports as words

CASE_COLUMNS = words.EXPORT_CASE_COLUMNS


def _rows(report: MonthlyReport) -> list[list[str]]:
    return [[report.community, f"#{x.case_id}", x.category, x.location, x.state,
             str(x.complainants), texts.duration(x.took),
             words.EXPORT_YES if x.group_complaint else "",
             words.EXPORT_YES if x.urgent else ""] for x in report.cases]


def _summary(report: MonthlyReport) -> list[tuple[str, str]]:
    st = report.stats
    response, resolution, satisfaction = report.rates()
    values = [str(st.opened), response, resolution, satisfaction, str(st.overdue),
              str(st.reopened), str(st.group_complaints)]
    return list(zip(words.EXPORT_SUMMARY_LABELS, values, strict=True))


def _table_head(names: Sequence[str]) -> str:
    return "| " + " | ".join(names) + " |\n|" + "---|" * len(names)


def to_markdown(reports: Sequence[MonthlyReport]) -> str:
    out = []
    for report in reports:
        out.append(f"# {words.export_title(report.community, report.month)}\n")
        out.append(_table_head(words.EXPORT_SUMMARY_HEAD))
        out += [f"| {k} | {v} |" for k, v in _summary(report)]
        out.append(f"\n## {words.EXPORT_BY_CATEGORY}\n\n" + _table_head(words.EXPORT_CATEGORY_HEAD))
        out += [f"| {c} | {n} |" for c, n in report.by_category]
        out.append(f"\n## {words.EXPORT_SLOWEST}\n")
        out += [words.export_slowest_row(x.case_id, x.category, x.location,
                                         texts.duration(x.took), x.state)
                for x in report.slowest] or [words.EXPORT_NONE_ROW]
        out.append(f"\n## {words.EXPORT_GROUP_COMPLAINTS}\n")
        out += [words.export_group_row(x.case_id, x.category, x.location, x.complainants,
                                       x.state)
                for x in report.group_complaints] or [words.EXPORT_NONE_ROW]
        out.append(f"\n## {words.EXPORT_CASES}\n")
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
        summary = book.create_sheet(words.export_sheet(report.community, "summary"))
        summary.append(list(words.EXPORT_SUMMARY_HEAD))
        for row in _summary(report):
            summary.append(list(row))
        summary.append([])
        summary.append(list(words.EXPORT_CATEGORY_HEAD))
        for category, n in report.by_category:
            summary.append([category, n])
        cases = book.create_sheet(words.export_sheet(report.community, "cases"))
        cases.append(CASE_COLUMNS)
        for row in _rows(report):
            cases.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
