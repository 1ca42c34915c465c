"""The province-scale score export (issue 16 item 5): openpyxl's write-only mode, one
department at a time, every finished sheet closed (its rows on disk) before the next is
scored, so memory stays flat in the number of departments."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from evaluations.scoring import score_evaluation
from evaluations.tabular import score_tables_xlsx_to


def test_the_export_streams_sheet_by_sheet(seed_eval):
    sheet = score_evaluation(seed_eval)
    open_at_each_yield: list[int] = []
    workbooks = []

    real_create = __import__("openpyxl").Workbook.create_sheet

    def tracking_create(self, *args, **kwargs):
        if self not in workbooks:
            workbooks.append(self)
        return real_create(self, *args, **kwargs)

    import unittest.mock

    def sheets(n):
        for _ in range(n):
            if workbooks:
                open_at_each_yield.append(sum(not ws.closed for ws in workbooks[0].worksheets))
            yield seed_eval, sheet

    out = io.BytesIO()
    with unittest.mock.patch("openpyxl.Workbook.create_sheet", tracking_create):
        count = score_tables_xlsx_to(out, "南沙区2022年度", sheets(60))
    assert count == 60
    # only the summary stays open while the next department is scored
    assert set(open_at_each_yield) == {1}
    wb = load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    assert len(wb.sheetnames) == 61 and wb.sheetnames[0] == "汇总"
    rows = list(wb["汇总"].iter_rows(values_only=True))
    assert rows[0][0] == "单位编码" and len(rows) == 61
