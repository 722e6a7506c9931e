"""The monthly report's files, read back: the Excel workbook's typed cells, frozen bold
headers, filters and native charts (with the references they draw), the CSV and the
printable page; no complainant's name or number in any of them."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from openpyxl import load_workbook

from bot import exports
from scheduler.tick import run_tick
from tests.conftest import TZ


def _month(chat, clock, bot):
    """Three November cases in two weeks: #1 resolved and rated 满意, #2 open, #3 next
    week acknowledged."""
    clock.set(datetime(2026, 11, 10, 9, 0, tzinfo=TZ))
    chat.say("r-zhang", "3号楼2单元楼道灯坏了 我电话13812345678", sender_name="张阿姨")
    first = chat.last["replies"][0]["case_id"]
    chat.say("r-gao", "9号楼下水道堵了，污水往外冒", sender_name="高大爷")
    clock.advance(hours=2)
    chat.say("u-wang", f"/办结 #{first}")
    chat.say("r-zhang", "满意")
    clock.set(datetime(2026, 11, 17, 10, 0, tzinfo=TZ))
    chat.say("r-sun", "5号楼电梯坏了，困在一楼出不去了不，是按钮坏了", sender_name="孙阿姨")
    third = chat.last["replies"][0]["case_id"]
    clock.advance(minutes=30)
    chat.say("u-wang", f"/接单 #{third}")
    clock.set(datetime(2026, 12, 1, 12, 0, tzinfo=TZ))
    run_tick(bot, clock())
    with bot.store.transaction() as repos:
        return exports.monthly_reports(repos, bot.config, 2026, 11, clock())


def test_xlsx_has_typed_cells_frozen_headers_filters_and_charts(chat, clock, bot, tmp_path):
    reports = _month(chat, clock, bot)
    path = tmp_path / "report.xlsx"
    path.write_bytes(exports.to_xlsx(reports, bot.config.tz))
    book = load_workbook(path)
    summary, trend, cases = (book[n] for n in ("阳光小区汇总", "阳光小区趋势", "阳光小区明细"))
    # summary: numbers are numbers, rates are fractions shown as percentages
    assert summary["A2"].value == "受理" and summary["B2"].value == 3
    assert summary["A4"].value == "解决率" and summary["B4"].value == 1 / 3
    assert summary["B4"].number_format == "0.0%" and summary["B5"].value == 1.0
    assert summary["A1"].font.b and summary.freeze_panes == "A2"
    # cases: ids and counts as int, times as real dates with a format, hours as numbers
    assert [c.value for c in cases[1]][:3] == ["社区", "工单", "类别"]
    assert all(c.font.b for c in cases[1]) and cases.freeze_panes == "C2"
    assert cases.auto_filter.ref == "A1:L4"
    row = [c for c in cases[2]]
    assert isinstance(row[1].value, int) and isinstance(row[5].value, int)
    assert row[6].is_date and row[6].value == datetime(2026, 11, 10, 9, 0)
    assert row[6].number_format == "yyyy-mm-dd hh:mm"
    assert row[8].is_date and row[8].value == datetime(2026, 11, 10, 11, 0)
    assert row[9].value == 2.0 and row[9].data_type == "n"
    assert cases.column_dimensions["D"].width == 16
    # trends: one row per week, rates as numbers
    assert [trend.cell(row=r, column=1).value for r in (2, 3)] == ["11-09周", "11-16周"]
    assert trend.cell(row=2, column=2).value == 2 and trend.cell(row=3, column=2).value == 1
    assert trend.cell(row=3, column=3).value == 1.0  # #3 acknowledged in 30 min
    assert trend.freeze_panes == "B2" and trend.auto_filter.ref == "A1:K3"
    # native charts with the right references
    kinds = sorted(type(c).__name__ for c in summary._charts)
    assert kinds == ["BarChart", "PieChart"]
    bar = next(c for c in summary._charts if type(c).__name__ == "BarChart")
    assert bar.series[0].val.numRef.f == "'阳光小区汇总'!$B$11:$B$13"
    categories = bar.series[0].cat.numRef or bar.series[0].cat.strRef
    assert categories.f == "'阳光小区汇总'!$A$11:$A$13"
    line = next(c for c in trend._charts if type(c).__name__ == "LineChart")
    assert [s.val.numRef.f for s in line.series] == [
        f"'阳光小区趋势'!${col}$2:${col}$3" for col in "CDE"]
    assert [s.tx.strRef.f for s in line.series] == [
        f"'阳光小区趋势'!{col}1" for col in "CDE"]
    assert any(type(c).__name__ == "BarChart" for c in trend._charts)
    # privacy: counts, never names or numbers
    values = " ".join(str(c.value) for ws in book for r in ws.iter_rows() for c in r)
    assert "张阿姨" not in values and "13812345678" not in values


def test_csv_and_printable_page(chat, clock, bot):
    reports = _month(chat, clock, bot)
    rows = list(csv.reader(io.StringIO(exports.to_csv(reports, bot.config.tz))))
    assert rows[0][:3] == ["社区", "工单", "类别"] and len(rows) == 4
    assert rows[1][1] == str(reports[0].cases[0].case_id) and rows[1][6] == "2026-11-10 09:00"
    page = exports.to_html(reports, bot.config.tz, clock())
    assert "@media print" in page and "阳光小区 2026-11 社情民意月报" in page
    assert "11-09周" in page and "张阿姨" not in page and "13812345678" not in page
    assert "<script" not in page.replace("<button", "")
