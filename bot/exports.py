"""The monthly report as a file: Markdown, CSV, Excel or a printable HTML page
(`python -m bot report`, and the desk's exports page: both call `monthly_reports` and
the same writer, so they produce the same file).

The Excel workbook is one a 街道 office can work with: typed cells (counts and ids are
numbers, rates are numbers shown as percentages, times are real dates with a number
format, durations are hours), bold frozen header rows, column widths, autofilters, and
native Excel charts (categories as a bar and a pie chart, the 三率 by week as a line
chart, cases by week as a bar chart). The data comes from bot.domain.reports;
complainants appear as counts, never names.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot import texts
from bot.config import Config
from bot.domain.reports import MonthlyReport, monthly_report
from bot.domain.trends import TrendRow
from bot.texts import exports as words
from bot.texts import insights as insight_words
from storage.repositories import Repos

CASE_COLUMNS = words.EXPORT_CASE_COLUMNS
TABLE_COLUMNS = words.EXPORT_TABLE_COLUMNS
DATE_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0.0%"
HOURS_FORMAT = "0.0"
CSV_TIME = "%Y-%m-%d %H:%M"
TEMPLATE = Path(__file__).with_name("templates") / "monthly_report.html"


def monthly_reports(repos: Repos, config: Config, year: int, month: int, now: datetime,
                    community_ids: Sequence[str] | None = None) -> list[MonthlyReport]:
    """The month's report of each configured community (or of those named)."""
    return [monthly_report(repos, c.id, c.name, year, month, config.tz, now)
            for c in config.communities if community_ids is None or c.id in community_ids]


def _rows(report: MonthlyReport) -> list[list[str]]:
    return [[report.community, f"#{x.case_id}", x.category, x.location, x.state,
             str(x.complainants), texts.duration(x.took),
             words.EXPORT_YES if x.group_complaint else "",
             words.EXPORT_YES if x.urgent else ""] for x in report.cases]


def _local(when: datetime | None, tz: ZoneInfo) -> datetime | None:
    """A naive local time: Excel has no time zones."""
    return None if when is None else when.astimezone(tz).replace(tzinfo=None)


def hours(delta: timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 3600, 1)


def typed_rows(report: MonthlyReport, tz: ZoneInfo) -> list[list[Any]]:
    """The cases with typed values: ids and counts as int, times as local datetimes,
    the time taken in hours."""
    return [[report.community, x.case_id, x.category, x.location, x.state, x.complainants,
             _local(x.opened_at, tz), _local(x.acknowledged_at, tz),
             _local(x.resolved_at, tz), hours(x.took),
             words.EXPORT_YES if x.group_complaint else "",
             words.EXPORT_YES if x.urgent else ""] for x in report.cases]


def _summary(report: MonthlyReport) -> list[tuple[str, str]]:
    st = report.stats
    response, resolution, satisfaction = report.rates()
    values = [str(st.opened), response, resolution, satisfaction, str(st.overdue),
              str(st.reopened), str(st.group_complaints)]
    return list(zip(words.EXPORT_SUMMARY_LABELS, values, strict=True))


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _typed_summary(report: MonthlyReport) -> list[tuple[str, int | float | None, str | None]]:
    """(label, number, number format) for the summary sheet."""
    st = report.stats
    values = [(st.opened, None),
              (_ratio(st.responded_in_time, st.due_for_response), PERCENT_FORMAT),
              (_ratio(st.resolved, st.resolution_base), PERCENT_FORMAT),
              (_ratio(st.satisfied, st.rated), PERCENT_FORMAT),
              (st.overdue, None), (st.reopened, None), (st.group_complaints, None)]
    return [(label, value, fmt) for label, (value, fmt)
            in zip(words.EXPORT_SUMMARY_LABELS, values, strict=True)]


def trend_values(row: TrendRow) -> list[Any]:
    """A trend row's numbers in the order of TREND_COLUMNS[1:]."""
    return [row.stats.opened, row.response_rate, row.resolution_rate, row.satisfaction_rate,
            hours(row.mean_ack), hours(row.p90_ack), hours(row.mean_resolve),
            hours(row.p90_resolve), row.stats.overdue, row.stats.reopened]


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


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime(CSV_TIME)
    return "" if value is None else value


def to_csv(reports: Sequence[MonthlyReport], tz: ZoneInfo) -> str:
    """The cases of every report, one line each (times local, `YYYY-MM-DD HH:MM`)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(TABLE_COLUMNS)
    for report in reports:
        writer.writerows([[_csv_value(v) for v in row] for row in typed_rows(report, tz)])
    return buf.getvalue()


# --- Excel -------------------------------------------------------------------------------------

def _header(sheet, row: int, names: Sequence[str]) -> None:
    from openpyxl.styles import Font, PatternFill

    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for col, name in enumerate(names, start=1):
        cell = sheet.cell(row=row, column=col, value=name)
        cell.font, cell.fill = bold, fill


def _widths(sheet, widths: Sequence[int]) -> None:
    from openpyxl.utils import get_column_letter

    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width


def _summary_sheet(book, report: MonthlyReport) -> None:
    from openpyxl.chart import BarChart, PieChart, Reference

    sheet = book.create_sheet(words.export_sheet(report.community, "summary"))
    _header(sheet, 1, words.EXPORT_SUMMARY_HEAD)
    for index, (label, value, fmt) in enumerate(_typed_summary(report), start=2):
        sheet.cell(row=index, column=1, value=label)
        cell = sheet.cell(row=index, column=2, value=value)
        if fmt:
            cell.number_format = fmt
    sheet.freeze_panes = "A2"
    head = len(words.EXPORT_SUMMARY_LABELS) + 3
    _header(sheet, head, words.EXPORT_CATEGORY_HEAD)
    for offset, (category, n) in enumerate(report.by_category, start=1):
        sheet.cell(row=head + offset, column=1, value=category)
        sheet.cell(row=head + offset, column=2, value=n)
    _widths(sheet, [16, 14])
    last = head + len(report.by_category)
    if not report.by_category:
        return
    labels = Reference(sheet, min_col=1, min_row=head + 1, max_row=last)
    data = Reference(sheet, min_col=2, min_row=head, max_row=last)
    bar = BarChart()
    bar.type, bar.title = "bar", words.EXPORT_CHART_CATEGORIES
    bar.y_axis.title = words.EXPORT_AXIS_COUNT
    bar.add_data(data, titles_from_data=True)
    bar.set_categories(labels)
    bar.legend = None
    sheet.add_chart(bar, "D2")
    pie = PieChart()
    pie.title = words.EXPORT_CHART_CATEGORY_SHARE
    pie.add_data(data, titles_from_data=True)
    pie.set_categories(labels)
    sheet.add_chart(pie, "D20")


def _trend_sheet(book, report: MonthlyReport) -> None:
    from openpyxl.chart import BarChart, LineChart, Reference

    sheet = book.create_sheet(words.export_trend_sheet(report.community))
    _header(sheet, 1, insight_words.TREND_COLUMNS)
    for index, row in enumerate(report.weekly, start=2):
        sheet.cell(row=index, column=1, value=insight_words.week_label(row.key))
        for col, value in enumerate(trend_values(row), start=2):
            cell = sheet.cell(row=index, column=col, value=value)
            cell.number_format = PERCENT_FORMAT if col in (3, 4, 5) else \
                HOURS_FORMAT if col in (6, 7, 8, 9) else "0"
    sheet.freeze_panes = "B2"
    _widths(sheet, [12] + [10] * (len(insight_words.TREND_COLUMNS) - 1))
    last = len(report.weekly) + 1
    if last < 2:
        return
    sheet.auto_filter.ref = f"A1:K{last}"
    weeks = Reference(sheet, min_col=1, min_row=2, max_row=last)
    line = LineChart()
    line.title, line.y_axis.title = words.EXPORT_CHART_RATES, words.EXPORT_AXIS_RATE
    line.x_axis.title = words.EXPORT_AXIS_WEEK
    line.y_axis.number_format = "0%"
    line.y_axis.scaling.min, line.y_axis.scaling.max = 0, 1
    line.add_data(Reference(sheet, min_col=3, max_col=5, min_row=1, max_row=last),
                  titles_from_data=True)
    line.set_categories(weeks)
    sheet.add_chart(line, f"A{last + 3}")
    bar = BarChart()
    bar.title, bar.y_axis.title = words.EXPORT_CHART_OPENED, words.EXPORT_AXIS_COUNT
    bar.add_data(Reference(sheet, min_col=2, min_row=1, max_row=last), titles_from_data=True)
    bar.set_categories(weeks)
    bar.legend = None
    sheet.add_chart(bar, f"H{last + 3}")


def _cases_sheet(book, report: MonthlyReport, tz: ZoneInfo) -> None:
    sheet = book.create_sheet(words.export_sheet(report.community, "cases"))
    _header(sheet, 1, TABLE_COLUMNS)
    for row in typed_rows(report, tz):
        sheet.append(row)
    for row in sheet.iter_rows(min_row=2, min_col=7, max_col=10):
        for cell in row[:3]:
            cell.number_format = DATE_FORMAT
        row[3].number_format = HOURS_FORMAT
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:L{max(1, sheet.max_row)}"
    _widths(sheet, [12, 7, 14, 16, 14, 9, 17, 17, 17, 10, 9, 6])
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"


def to_xlsx(reports: Sequence[MonthlyReport], tz: ZoneInfo) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for report in reports:
        _summary_sheet(book, report)
        _trend_sheet(book, report)
        _cases_sheet(book, report, tz)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


# --- the printable page ------------------------------------------------------------------------

def to_html(reports: Sequence[MonthlyReport], tz: ZoneInfo, generated: datetime) -> str:
    """The monthly report as one printable HTML page (print CSS, A4, no script)."""
    from jinja2 import Environment, select_autoescape

    env = Environment(autoescape=select_autoescape(default=True))
    template = env.from_string(TEMPLATE.read_text(encoding="utf-8"))
    pages = [{"title": words.export_title(r.community, r.month), "summary": _summary(r),
              "by_category": r.by_category, "weekly": [
                  [insight_words.week_label(w.key), w.stats.opened,
                   texts.percent(w.stats.responded_in_time, w.stats.due_for_response),
                   texts.percent(w.stats.resolved, w.stats.resolution_base),
                   texts.percent(w.stats.satisfied, w.stats.rated)] for w in r.weekly],
              "slowest": [words.export_slowest_row(x.case_id, x.category, x.location,
                                                   texts.duration(x.took), x.state)
                          for x in r.slowest],
              "group_complaints": [words.export_group_row(x.case_id, x.category, x.location,
                                                          x.complainants, x.state)
                                   for x in r.group_complaints],
              "cases": [[_csv_value(v) for v in row[1:]] for row in typed_rows(r, tz)]}
             for r in reports]
    return template.render(pages=pages, w=words, columns=TABLE_COLUMNS[1:],
                           trend_columns=insight_words.TREND_COLUMNS[:5],
                           generated=generated.astimezone(tz).strftime(CSV_TIME))
