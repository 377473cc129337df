"""The control room's tables: one place that builds a ``dash-ag-grid`` grid.

Dash's own ``dash_table.DataTable`` is deprecated; AG Grid (through ``dash-ag-grid``) sorts,
filters, pages and is keyboard navigable (arrow keys move between cells, Space selects a row).
Its JavaScript ships inside the Python package and Dash serves it from this server
(``serve_locally``), so the control room loads nothing from a CDN.
"""
from __future__ import annotations

import dash_ag_grid as dag


def columns(rows: list[dict], labels: dict[str, str] | None = None) -> list[dict]:
    """Column definitions for ``rows`` (the keys of the first row, in order).

    Parameters
    ----------
    rows : list of dict
        The table's rows; an empty list gives no columns.
    labels : dict, optional
        Header text per field (``{"requested_at": "Requested (Brașov time)"}``); a field without
        one shows its name.
    """
    labels = labels or {}
    return [{"field": k, "headerName": labels.get(k, k)} for k in (rows[0] if rows else {})]


def grid(ident: str, rows: list[dict] | None = None, labels: dict[str, str] | None = None, page_size: int = 10,
         selectable: bool = False, row_style: dict | None = None, filters: bool = False,
         row_id: str | None = None) -> dag.AgGrid:
    """A sortable (and optionally filterable, row-selectable) grid with id ``ident``.

    Parameters
    ----------
    ident : str
        The component id (callbacks update ``rowData`` and ``columnDefs``).
    rows : list of dict, optional
        Initial rows; columns are taken from the first one.
    labels : dict, optional
        Header text per field, see :func:`columns`.
    page_size : int
        Rows per page.
    selectable : bool
        One row can be selected by click or Space; read it from the ``selectedRows`` property.
    row_style : dict, optional
        AG Grid ``getRowStyle`` rules, e.g. ``{"styleConditions": [{"condition": "params.data.x",
        "style": {...}}]}``.
    filters : bool
        A filter in every column header.
    row_id : str, optional
        The field naming a row (``"id"``): new ``rowData`` then updates the rows in place, keeping
        the selection, sort, filter and page (a table read again every few seconds).
    """
    rows = rows or []
    opts: dict = {"pagination": True, "paginationPageSize": page_size, "domLayout": "autoHeight",
                  "paginationPageSizeSelector": False, "ensureDomOrder": True,
                  "suppressColumnVirtualisation": True}   # every column in the DOM: readable by screen readers
    if selectable:
        opts["rowSelection"] = {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True}
    kw = {"getRowStyle": row_style} if row_style else {}
    if row_id:
        kw["getRowId"] = f"'' + params.data.{row_id}"
    return dag.AgGrid(id=ident, rowData=rows, columnDefs=columns(rows, labels),
                      defaultColDef={"sortable": True, "filter": filters, "resizable": True},
                      columnSize="autoSize", dashGridOptions=opts, style={"height": None}, **kw)
