"""Data: upload (CSV / XLSX / Parquet, several files), the proposed column mapping with its
confidences (editable), the validation report, the data-quality checks, the datasets."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from analytics import i18n, ingest, legal_fr, mapping, safety, schema, views
from analytics.pipeline import InputFile, LoadError, LoadReport, load_files, preview_file
from analytics.store import WorkspaceError
from pages import common

common.start_page(common.PAGE_DATA)
t = common.t
lang = common.lang()
ws = common.current_workspace()

st.title(t("data_title"))

NONE = "—"
UPLOAD_TYPES = ["csv", "txt", "tsv", "xlsx", "xlsm", "xls", "ods", "parquet"]


def _preview(uploaded: Any, workdir: Path) -> dict[str, Any]:
    """Save an uploaded file and propose its mapping (saved mapping first). Each file is saved
    in a folder of its own: two uploads of the same name are two files."""
    folder = workdir / hashlib.sha256(uploaded.file_id.encode()).hexdigest()[:16]
    folder.mkdir(exist_ok=True)
    path = folder / Path(uploaded.name).name
    path.write_bytes(uploaded.getvalue())
    try:
        found = preview_file(ws, InputFile(path, name=uploaded.name))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return {
        "path": str(path),
        "name": uploaded.name,
        "headers": found.headers,
        "rows": found.rows,
        "notes": found.notes,
        "mapping": found.mapping.to_json(),
    }


def _remove_copy(preview: dict[str, Any]) -> None:
    """Remove the saved copy of an uploaded file, with its folder (an error's preview has
    none: its copy went with the error)."""
    if "path" in preview:
        shutil.rmtree(Path(preview["path"]).parent, ignore_errors=True)


uploads = st.file_uploader(
    t("data_upload"),
    type=UPLOAD_TYPES,
    accept_multiple_files=True,
    key=f"uploads_{st.session_state.get('_upload_generation', 0)}",
)
previews: dict[str, dict[str, Any]] = st.session_state.setdefault("_previews", {})
if "_upload_dir" not in st.session_state:  # one folder per session, not one per rerun
    st.session_state["_upload_dir"] = tempfile.mkdtemp(prefix="encours-")
workdir = Path(st.session_state["_upload_dir"])
ready: list[tuple[str, dict[str, Any]]] = []
errors: list[str] = []
# A file taken out of the uploader is forgotten, and its copy removed from the upload folder.
for gone in set(previews) - {up.file_id for up in uploads or []}:
    _remove_copy(previews.pop(gone))
if uploads:
    progress = st.progress(0.0)
    for i, up in enumerate(uploads):
        key = f"{up.file_id}"
        if key not in previews:
            progress.progress(i / len(uploads), text=t("data_loading", file=up.name))
            try:
                previews[key] = _preview(up, workdir)
            except (ingest.IngestError, LoadError, ValueError) as exc:
                previews[key] = {"error": str(exc), "name": up.name}
        if "error" in previews[key]:
            errors.append(previews[key]["error"])
        else:
            ready.append((key, previews[key]))
    progress.progress(1.0)
    progress.empty()
for message in errors:
    st.error(f"{t('data_error')}: {message}")

if ready:
    st.subheader(t("data_mapping"))
    tables = list(schema.TABLES)
    for key, preview in ready:
        m = mapping.Mapping.from_json(preview["mapping"])
        with st.expander(
            f"{preview['name']} — {preview['rows']} {t('data_rows_read').lower()}", expanded=True
        ):
            table = st.selectbox(
                t("data_table"),
                tables,
                index=tables.index(m.table),
                key=f"table_{key}",
                help=f"{t('data_confidence')}: {i18n.fmt_percent(m.table_confidence, lang, 0)}",
            )
            if table != m.table:
                m = mapping.propose(preview["headers"], table)
                preview["mapping"] = m.to_json()
            spec = schema.table_for(table)
            rows = []
            for column in spec.columns:
                match = m.matches.get(column.name)
                rows.append(
                    {
                        "column": column.name,
                        "level": column.level,
                        "header": match.source_header if match else NONE,
                        "confidence": match.confidence if match else None,
                        "method": match.method if match else "",
                    }
                )
            edited = st.data_editor(
                pd.DataFrame(rows),
                hide_index=True,
                disabled=["column", "level", "confidence", "method"],
                column_config={
                    "column": st.column_config.TextColumn(t("data_canonical")),
                    "level": st.column_config.TextColumn("·"),
                    "header": st.column_config.SelectboxColumn(
                        t("data_source_header"), options=[NONE, *preview["headers"]]
                    ),
                    "confidence": st.column_config.ProgressColumn(
                        t("data_confidence"), min_value=0.0, max_value=1.0, format="percent"
                    ),
                    "method": st.column_config.TextColumn(t("data_method")),
                },
                key=f"mapping_{key}_{table}",
            )
            for column, header in zip(edited["column"], edited["header"], strict=True):
                current = m.matches.get(column)
                wanted = None if header in (None, NONE) else str(header)
                if (current.source_header if current else None) != wanted:
                    m = m.with_override(column, wanted)
            preview["mapping"] = m.to_json()
            problems = m.problems()
            if problems:
                st.warning(t("data_problems") + ":\n\n" + "\n".join(f"- {p}" for p in problems))
            for note in preview["notes"]:
                st.caption(note)

    default_name = ", ".join(p["name"] for _, p in ready)
    name = st.text_input(t("data_name"), value=default_name, key="data_name")
    if st.button(t("data_load"), type="primary", key="data_load"):
        files = []
        for _, preview in ready:
            m = mapping.Mapping.from_json(preview["mapping"])
            files.append(
                InputFile(Path(preview["path"]), name=preview["name"], table=m.table, mapping=m)
            )
        try:
            with st.status(t("data_loading", file=name), expanded=False) as status:
                report = load_files(ws, files, name or default_name)
                status.update(state="complete")
        except (ingest.IngestError, LoadError, WorkspaceError, ValueError) as exc:
            st.error(f"{t('data_error')}: {exc}")
        else:
            for _, preview in ready:  # its rows are in the workspace now
                _remove_copy(preview)
            st.session_state["_last_report"] = report
            st.session_state["_pending_dataset"] = report.dataset_id
            # the rejected rows and checks below show the dataset just loaded
            st.session_state["data_dataset"] = report.dataset_id
            st.session_state["_previews"] = {}
            st.session_state["_upload_generation"] = (
                st.session_state.get("_upload_generation", 0) + 1
            )
            st.rerun()

report: LoadReport | None = st.session_state.get("_last_report")
datasets = ws.datasets()
if report is not None and any(d.dataset_id == report.dataset_id for d in datasets):
    st.subheader(t("data_report"))
    if report.already_loaded:
        st.info(t("data_already", id=report.dataset_id))
    else:
        st.success(
            t(
                "data_loaded",
                name=report.name,
                loaded=report.rows_loaded,
                rejected=report.rows_rejected,
                read=report.rows_read,
            )
        )
        st.dataframe(
            pd.DataFrame(
                {
                    t("data_file"): [f.file for f in report.files],
                    t("data_table"): [f.table for f in report.files],
                    t("data_rows_read"): [f.rows_read for f in report.files],
                    t("data_rows_loaded"): [f.rows_loaded for f in report.files],
                    t("data_rows_rejected"): [f.rows_rejected for f in report.files],
                    t("data_amount_read"): [
                        i18n.fmt_number(f.amount_read, lang) for f in report.files
                    ],
                    t("data_amount_loaded"): [
                        i18n.fmt_number(f.amount_loaded, lang) for f in report.files
                    ],
                    t("data_notes"): ["; ".join(f.notes) for f in report.files],
                }
            ),
            hide_index=True,
            key="load_report",
        )

if datasets:
    st.subheader(t("data_datasets"))
    st.dataframe(
        pd.DataFrame(
            {
                t("data_id"): [d.dataset_id for d in datasets],
                t("data_name"): [d.name for d in datasets],
                t("data_rows_read"): [d.rows_read for d in datasets],
                t("data_rows_loaded"): [d.rows_loaded for d in datasets],
                t("data_rows_rejected"): [d.rows_rejected for d in datasets],
                t("data_loaded_at"): [i18n.fmt_date(d.loaded_at, lang) for d in datasets],
                t("data_file"): [", ".join(f["file"] for f in d.source_files) for d in datasets],
            }
        ),
        hide_index=True,
        key="datasets_table",
    )
    ids = [d.dataset_id for d in datasets]
    current = st.session_state.get("dataset_id")
    shown_id = st.selectbox(
        t("sidebar_dataset"),
        ids,
        index=ids.index(current) if current in ids else len(ids) - 1,
        format_func=lambda i: f"{i} · {next(d.name for d in datasets if d.dataset_id == i)}",
        key="data_dataset",
    )

    st.subheader(t("data_rejects"))
    rejects = ws.rejected_rows(shown_id)
    if rejects.empty:
        st.caption("0")
    else:
        shown = rejects.rename(
            columns={
                "source_file": t("data_file"),
                "table_name": t("data_table"),
                "line_no": t("data_line"),
                "reason": t("data_reason"),
                "raw": t("data_raw"),
            }
        )
        st.dataframe(shown.head(200), hide_index=True, key="rejects_table")
        st.download_button(
            t("data_rejects_download"),
            data=safety.frame_to_csv(rejects),
            file_name=f"rejected-{shown_id}.csv",
            mime="text/csv",
            key="rejects_download",
            on_click="ignore",
        )

    st.subheader(t("data_quality"))
    summary = views.quality_summary(ws.quality_flags(shown_id))
    if summary.empty:
        st.success(t("data_quality_ok"))
    else:
        st.dataframe(
            summary.rename(
                columns={
                    "table_name": t("data_table"),
                    "flag": t("data_flag"),
                    "count": t("col_count"),
                    "lines": t("data_examples"),
                    "detail": t("data_notes"),
                }
            ),
            hide_index=True,
            key="quality_table",
        )

    st.subheader(t("data_delete"))
    to_delete = shown_id  # the dataset chosen above, whose rows and checks the page shows
    name = next(d.name for d in datasets if d.dataset_id == to_delete)
    sure = st.checkbox(
        t("data_delete_confirm", id=to_delete, name=name), key=f"delete_confirm_{to_delete}"
    )
    if st.button(t("data_delete"), key="delete_button", disabled=not sure):
        ws.delete_dataset(int(to_delete))
        for key in ("dataset_id", "_last_report", "data_dataset", f"delete_confirm_{to_delete}"):
            st.session_state.pop(key, None)
        st.toast(t("data_deleted", id=to_delete))
        st.rerun()
else:
    common.empty_state()


def rate_table_editor() -> None:
    """The ECB rate table used for late-payment penalties, editable and saved for the user."""
    st.subheader(t("data_ecb_title"))
    st.caption(t("data_ecb_help"))
    if legal_fr.active_rates_path() != legal_fr.ECB_RATES_PATH:
        st.info(t("data_ecb_edited"))
    try:
        rates = legal_fr.load_ecb_rates()
    except ValueError as exc:
        st.error(f"{t('data_ecb_invalid')}: {exc}")
        rates = legal_fr.load_ecb_rates(legal_fr.ECB_RATES_PATH)
    shown = rates.assign(rate_percent=[str(r) for r in rates["rate_percent"]])
    edited = st.data_editor(shown, num_rows="dynamic", hide_index=True, key="ecb_editor")
    save, reset = st.columns(2)
    if save.button(t("data_ecb_save"), key="ecb_save"):
        try:
            legal_fr.save_ecb_rates(edited)
        except ValueError as exc:
            st.error(f"{t('data_ecb_invalid')}: {exc}")
        else:
            st.cache_data.clear()
            st.success(t("data_ecb_saved"))
    if reset.button(t("data_ecb_reset"), key="ecb_reset"):
        legal_fr.reset_ecb_rates()
        st.cache_data.clear()
        st.rerun()


rate_table_editor()
