"""What an inspector takes away (issue 15, items 2 and 7): ``GET /v1/audit`` and ``GET /v1/payments`` as
JSON, CSV and XLSX, the report as XLSX and CSV, and CSV files a spreadsheet opens right (UTF-8 with BOM,
amounts as plain integers, citizen IDs that keep their leading zero, ``sep=semicolon``). Both backends.

The scene: on 5 July 2024 an officer of commune 26041 registers Bình and an officer of 25195 registers
Cường (citizen IDs starting ``075``: the leading zero a spreadsheet drops); each gets the martyr's
relative allowance from July (2,789,000 a month); on 10 July each is paid July by their own officer,
Cường by bank.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from api_support import COMMUNE, OTHER_COMMUNE, assert_problem, citizen_id
from openpyxl import load_workbook

import projections.audit
from ledger.csv_cells import unwrap

if TYPE_CHECKING:
    from pathlib import Path

    from api_support import Api

AMOUNT = 2_789_000


def _scene(api: Api) -> dict[str, Any]:
    api.clock.set(2024, 7, 5)
    binh = api.register(full_name="Trần Thị Bình", citizen_id=citizen_id(1950, female=True))
    cuong = api.register(as_="officer_other", full_name="Lê Văn Cường", commune_code=OTHER_COMMUNE,
                         citizen_id=citizen_id(1948), date_of_birth="1948-03-01", sex="male")  # fmt: skip
    eb = api.grant(binh["id"], "NCC_MARTYR_RELATIVE", "2024-07", params={"martyrs": 1})["entitlement_id"]
    ec = api.grant(cuong["id"], "NCC_MARTYR_RELATIVE", "2024-07", params={"martyrs": 1},
                   as_="officer_other")["entitlement_id"]  # fmt: skip
    api.clock.set(2024, 7, 10)
    paid = api.pay(binh["id"], eb, "2024-07", AMOUNT, payment_id="P-BINH-07", reference="=HYPERLINK(1)")
    assert paid.status_code == 201, paid.text
    paid = api.pay(cuong["id"], ec, "2024-07", AMOUNT, payment_id="P-CUONG-07", channel="bank",
                   as_="officer_other")  # fmt: skip
    assert paid.status_code == 201, paid.text
    assert binh["citizen_id"].startswith("0")
    return {"binh": binh, "cuong": cuong, "eb": eb, "ec": ec}


def _audit(api: Api, as_: str = "inspector", **params: Any) -> dict[str, Any]:
    answer = api.get("/v1/audit", as_=as_, **params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _types(items: list[dict[str, Any]]) -> list[str]:
    return [i["type"] for i in items]


# ------------------------------------------------------------------------------------------- audit


def test_the_audit_trail_is_newest_first_in_vietnamese_with_claims_folded_into_their_record(api: Api):
    scene = _scene(api)
    items = _audit(api, limit=500)["items"]
    positions = [i["position"] for i in items]
    assert positions == sorted(positions, reverse=True)
    assert "ValueClaimed" not in _types(items)  # no row of its own for a uniqueness claim
    payments = [i for i in items if i["type"] == "PaymentRecorded"]
    assert [p["data"]["payment_id"] for p in payments] == ["P-CUONG-07", "P-BINH-07"]  # newest first
    binh_paid = payments[1]
    assert binh_paid["claims"] == []  # a payment id is the write side's key, not a claim stream
    assert "Mã chi trả: P-BINH-07" in binh_paid["summary"]
    assert binh_paid["type_label"] == "Chi trả"
    assert binh_paid["recorded_at"] == "2024-07-10T16:00:00+07:00"  # 09:00 UTC, in Vietnam's time
    assert binh_paid["beneficiary_id"] == scene["binh"]["id"]
    assert binh_paid["commune_code"] == COMMUNE
    assert binh_paid["actor"] == "officer"
    assert "Mã chi trả: P-BINH-07" in binh_paid["summary"]
    # values as a reader writes them: money, month, day and channel in Vietnamese, no raw codes
    paid = binh_paid["data"]
    assert f"Số tiền: {paid['amount']:,} đ".replace(",", ".") in binh_paid["summary"]
    assert f"Kỳ: {paid['period'][5:]}/{paid['period'][:4]}" in binh_paid["summary"]
    assert "Hình thức: Tiền mặt" in binh_paid["summary"] or "Hình thức: Chuyển khoản" in binh_paid["summary"]
    without_ids = re.sub(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", "", binh_paid["summary"])
    assert not re.search(r"\b(cash|bank)\b|\d{4}-\d{2}", without_ids)
    assert binh_paid["hash"]
    registered = next(i for i in items if i["type"] == "BeneficiaryRegistered" and i["actor"] == "officer")
    assert ("citizen_id", scene["binh"]["citizen_id"]) in [
        (c["kind"], c["value"]) for c in registered["claims"]
    ]
    # The reference data seeded by the system: its reason in Vietnamese.
    seeded = _audit(api, actor="system", limit=1)["items"][0]
    assert seeded["reason"] == "Dữ liệu tham chiếu kèm theo phần mềm (domain/reference)"
    assert seeded["beneficiary_id"] is None


def test_each_audit_filter(api: Api):
    scene = _scene(api)
    by_actor = _audit(api, actor="officer_other")["items"]
    assert {i["actor"] for i in by_actor} == {"officer_other"}
    assert set(_types(by_actor)) == {"BeneficiaryRegistered", "EntitlementGranted", "PaymentRecorded"}
    for name in ("PaymentRecorded", "Chi trả"):  # the class name or its Vietnamese label
        assert _types(_audit(api, type=name)["items"]) == ["PaymentRecorded", "PaymentRecorded"]
    in_commune = _audit(api, commune_code=OTHER_COMMUNE)["items"]
    assert {i["beneficiary_id"] for i in in_commune} == {scene["cuong"]["id"]}
    trail = _audit(api, beneficiary_id=scene["binh"]["id"])["items"]
    assert _types(trail) == ["PaymentRecorded", "EntitlementGranted", "BeneficiaryRegistered"]
    assert [i["seq"] for i in trail] == [3, 2, 1]
    by_period = _audit(api, period="2024-07", type="PaymentRecorded")["items"]
    assert len(by_period) == 2
    assert _audit(api, period="2024-08", type="PaymentRecorded")["items"] == []
    on_day = _audit(api, **{"from": "2024-07-10", "to": "2024-07-10"})["items"]
    assert _types(on_day) == ["PaymentRecorded", "PaymentRecorded"]
    assert _audit(api, **{"from": "2024-07-11"})["items"] == []
    moment = _audit(api, **{"from": "2024-07-10T16:00:00+07:00", "to": "2024-07-10T16:00:00+07:00"})
    assert len(moment["items"]) == 2  # a timestamp with its offset: that moment, both ends included


def test_an_empty_type_is_no_filter_and_the_schema_says_so(api: Api):
    """``type=`` (a form's "all types") is the whole trail, as every empty filter is; the OpenAPI enum
    admits it, so that a client checked against the schema (schemathesis's negative data) agrees."""
    _scene(api)
    assert _audit(api, type="")["items"] == _audit(api)["items"]
    parameters = api.client.get("/openapi.json").json()["paths"]["/v1/audit"]["get"]["parameters"]
    (type_,) = [p for p in parameters if p["name"] == "type"]
    enum = type_["schema"]["enum"]
    assert "" in enum
    assert {"PaymentRecorded", "Chi trả"} <= set(enum)


def test_a_date_filter_is_a_whole_day_in_vietnam_time(api: Api):
    """18:30 UTC on 30 November is 01:30 on 1 December in Hà Nội: the event belongs to 1 December."""
    api.clock.now = datetime(2026, 11, 30, 18, 30, tzinfo=UTC)
    person = api.register()
    entry = _audit(api, **{"from": "2026-12-01"})["items"]
    assert [i["beneficiary_id"] for i in entry] == [person["id"]]
    assert entry[0]["recorded_at"] == "2026-12-01T01:30:00+07:00"
    assert _audit(api, **{"from": "2026-12-01", "to": "2026-12-01"})["items"] == entry
    assert all(i["beneficiary_id"] != person["id"] for i in _audit(api, to="2026-11-30")["items"])
    # a moment without its offset could be any of 24 hours: refused, naming the field
    assert_problem(api.get("/v1/audit", to="2026-12-01T01:30:00"), 422, "to")


def test_cursor_paging_goes_through_every_entry_once(api: Api):
    _scene(api)
    everything = [i["position"] for i in _audit(api, limit=500)["items"]]
    assert len(everything) > 10
    seen: list[int] = []
    cursor = None
    while True:
        page = _audit(api, limit=3, cursor=cursor)
        seen += [i["position"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        api.register()  # recorded while paging: newer than every page, never in the pages still to come
    assert seen == everything


def test_an_officer_sees_its_own_communes_only_and_every_read_is_logged(api: Api):
    scene = _scene(api)
    mine = _audit(api, as_="officer")["items"]
    assert mine
    assert {i["commune_code"] for i in mine} == {COMMUNE}
    assert scene["cuong"]["id"] not in {i["beneficiary_id"] for i in mine}
    assert_problem(api.get("/v1/audit", as_="officer", beneficiary_id=scene["cuong"]["id"]), 403)
    payments = api.get("/v1/payments", as_="officer").json()["items"]
    assert [p["payment_id"] for p in payments] == ["P-BINH-07"]
    assert api.get("/v1/payments", as_="officer", commune_code=OTHER_COMMUNE).json()["items"] == []
    assert len(_audit(api, as_="officer_all")["items"]) > len(mine)
    reads = api.app.state.services.reads.page(user="officer")["items"]
    whats = [r["what"] for r in reads]
    assert whats[:2] == ["payments commune_code=25195", "payments"]
    assert "audit" in whats
    logged = next(r for r in reads if r["what"] == "audit")
    assert logged["records"] == 1
    assert logged["beneficiary_id"] == scene["binh"]["id"]
    api.get("/v1/audit", as_="inspector", format="csv")
    assert api.app.state.services.reads.page(user="inspector")["items"][0]["what"] == "audit csv"


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/audit", {"commune_code": "99999"}, "commune_code"),
        ("/v1/audit", {"period": "2024-13"}, "period"),
        ("/v1/audit", {"cursor": "bm90LWEtY3Vyc29y"}, "cursor"),
        ("/v1/audit", {"cursor": "???"}, "cursor"),
        ("/v1/audit", {"format": "pdf"}, "format"),
        ("/v1/audit", {"type": "Nonsense"}, "type"),
        ("/v1/audit", {"from": "hôm qua"}, "from"),
        ("/v1/audit", {"limit": "100000"}, "limit"),
        ("/v1/payments", {"commune_code": "99999"}, "commune_code"),
        ("/v1/payments", {"period": "2024-7"}, "period"),
        ("/v1/payments", {"channel": "cheque"}, "channel"),
        ("/v1/payments", {"cursor": "bm90LWEtY3Vyc29y"}, "cursor"),
        ("/v1/payments", {"format": "pdf"}, "format"),
        ("/v1/payments", {"sep": "tab"}, "sep"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(api: Api, path: str, params: dict[str, str], field: str):
    assert_problem(api.get(path, **params), 422, field)


# ------------------------------------------------------------------------------------------- payments


def test_payments_newest_first_with_names_schemes_and_who_recorded_them(api: Api):
    scene = _scene(api)
    answer = api.get("/v1/payments")
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert [p["payment_id"] for p in items] == ["P-CUONG-07", "P-BINH-07"]
    binh = items[1]
    assert binh == {
        "payment_id": "P-BINH-07", "beneficiary_id": scene["binh"]["id"], "full_name": "Trần Thị Bình",
        "citizen_id": scene["binh"]["citizen_id"], "commune_code": COMMUNE, "entitlement_id": scene["eb"],
        "scheme": "NCC_MARTYR_RELATIVE", "scheme_name": binh["scheme_name"], "period": "2024-07",
        "amount": AMOUNT, "paid_on": "2024-07-10", "channel": "cash", "reference": "=HYPERLINK(1)",
        "recorded_by": "officer", "recorded_at": "2024-07-10T16:00:00+07:00", "reversed": False,
    }  # fmt: skip
    assert binh["scheme_name"].startswith("Thân nhân liệt sĩ")
    assert [p["payment_id"] for p in api.get("/v1/payments", channel="bank").json()["items"]] == [
        "P-CUONG-07"
    ]
    assert [p["payment_id"] for p in api.get("/v1/payments", recorded_by="officer").json()["items"]] == [
        "P-BINH-07"
    ]
    assert [p["payment_id"] for p in api.get("/v1/payments", commune_code=COMMUNE).json()["items"]] == [
        "P-BINH-07"
    ]
    assert len(api.get("/v1/payments", period="2024-07").json()["items"]) == 2
    assert api.get("/v1/payments", period="2024-06").json()["items"] == []
    first = api.get("/v1/payments", limit=1).json()
    rest = api.get("/v1/payments", limit=1, cursor=first["next_cursor"]).json()
    assert [p["payment_id"] for p in first["items"] + rest["items"]] == ["P-CUONG-07", "P-BINH-07"]
    assert rest["next_cursor"] is None
    reversed_ = api.post("/v1/payments/P-BINH-07/reverse", {"reason": "ghi nhầm"})
    assert reversed_.status_code == 200, reversed_.text
    assert api.get("/v1/payments", recorded_by="officer").json()["items"][0]["reversed"] is True


# ------------------------------------------------------------------------------------------- files


def _csv_rows(content: bytes, delimiter: str = ",") -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    text = content.decode("utf-8-sig")
    assert not text.lower().startswith("sep=")  # no sep= line: Excel would ignore the BOM
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def test_payment_and_audit_csv_keep_amounts_as_integers_and_the_ids_leading_zero(api: Api):
    scene = _scene(api)
    for sep, delimiter in (("comma", ","), ("semicolon", ";")):
        answer = api.get("/v1/payments", format="csv", sep=sep)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/csv")
        assert "attachment" in answer.headers["content-disposition"]
        rows = _csv_rows(answer.content, delimiter)
        head = rows[0]
        assert head[:3] == ["Mã chi trả", "Họ và tên", "Số CCCD"]
        binh = next(r for r in rows if r[0] == "P-BINH-07")
        assert binh[head.index("Số tiền (đồng)")] == "2789000"
        assert unwrap(binh[head.index("Số CCCD")]) == scene["binh"]["citizen_id"]  # 075…: zero kept
        assert binh[head.index("Chứng từ")] == "'=HYPERLINK(1)"  # user text never a formula
        assert binh[head.index("Kỳ")] == "07/2024"
        assert binh[head.index("Hình thức")] == "Tiền mặt"
    audit = _csv_rows(api.get("/v1/audit", format="csv", type="PaymentRecorded").content)
    assert audit[0][:4] == ["Số thứ tự trong sổ", "Ghi lúc (giờ Việt Nam)", "Người ghi", "Sự kiện"]
    assert [r[3] for r in audit[1:]] == ["Chi trả", "Chi trả"]
    assert audit[2][1] == "10/07/2024 16:00:00"
    assert audit[2][audit[0].index("Mã duy nhất đi kèm")] == ""  # no claim stream for a payment id
    assert any("Mã chi trả: P-BINH-07" in cell for cell in audit[2])  # it is in the record's own data


def test_roster_csv_semicolon_and_integers(api: Api):
    scene = _scene(api)
    rows = _csv_rows(api.get("/v1/rosters/2024-08", format="csv", sep="semicolon").content, ";")
    head = rows[1]
    line = next(r for r in rows if r and r[0] == "1")
    assert line[head.index("Số tiền")] == "2789000"
    assert unwrap(line[head.index("Số CCCD")]) in {scene["binh"]["citizen_id"], scene["cuong"]["citizen_id"]}


def test_xlsx_files_hold_numbers_as_numbers_and_ids_as_text(api: Api):
    scene = _scene(api)
    answer = api.get("/v1/payments", format="xlsx")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet.title == "Chi trả"
    assert sheet["A1"].value == "CÁC KHOẢN ĐÃ CHI TRẢ"
    head = [c.value for c in sheet[2]]
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize == 9
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    row = next(r for r in sheet.iter_rows(min_row=3) if r[0].value == "P-BINH-07")
    amount, cid = row[head.index("Số tiền (đồng)")], row[head.index("Số CCCD")]
    assert amount.value == AMOUNT
    assert isinstance(amount.value, int)
    assert amount.number_format == "#,##0"
    assert cid.value == scene["binh"]["citizen_id"]
    assert cid.data_type == "s"
    assert cid.number_format == "@"
    assert sheet[2][0].font.bold
    audit = load_workbook(io.BytesIO(api.get("/v1/audit", format="xlsx").content)).active
    assert audit.title == "Nhật ký"
    assert isinstance(audit.cell(row=3, column=1).value, int)  # the position, a number


def test_the_report_as_xlsx_and_csv_in_vietnamese(api: Api):
    _scene(api)
    answer = api.get("/v1/reports/summary", format="xlsx", **{"from": "2024-07", "to": "2024-07"})
    assert answer.status_code == 200, answer.text
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["Tổng hợp", "Theo chế độ", "Theo nguồn kinh phí", "Thẻ BHYT"]
    totals = {r[0].value: r[1].value for r in book["Tổng hợp"].iter_rows(min_row=3)}
    assert totals["Tổng số tiền đã chi (đồng)"] == 2 * AMOUNT
    assert totals["Số người được chi trả"] == 2
    assert totals["Tỷ lệ người nhận không dùng tiền mặt"] == 0.5
    schemes = book["Theo chế độ"]
    row = [c.value for c in schemes[3]]
    assert row[0] == "NCC_MARTYR_RELATIVE"
    assert str(row[1]).startswith("Thân nhân liệt sĩ")
    assert row[4] == 2 * AMOUNT
    rows = _csv_rows(
        api.get("/v1/reports/summary", format="csv", **{"from": "2024-07", "to": "2024-07"}).content
    )
    assert rows[0] == ["Phần", "Mã", "Tên", "Chỉ tiêu", "Giá trị"]
    assert ["Tổng hợp", "amount", "", "Tổng số tiền đã chi (đồng)", str(2 * AMOUNT)] in rows


@pytest.mark.skipif(
    shutil.which("soffice") is None and os.environ.get("LEDGER_REQUIRE_BROWSER") != "1",
    reason="LibreOffice is not installed (CI installs it and sets LEDGER_REQUIRE_BROWSER=1: it runs there)",
)
def test_libreoffice_opens_the_csv_with_ids_as_text_and_amounts_as_numbers(api: Api, tmp_path: Path):
    """The claim of ledger/csv_cells.py, checked as a person would: LibreOffice Calc converts the
    payments CSV to XLSX; the citizen ID is the text with its leading zero, the amount a number, the
    reference that looks like a formula the text it is."""
    scene = _scene(api)
    source = tmp_path / "chi-tra.csv"
    source.write_bytes(api.get("/v1/payments", format="csv").content)
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
         "--infilter=CSV:44,34,76,1", "--convert-to", "xlsx", "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    sheet = load_workbook(tmp_path / "chi-tra.xlsx", data_only=True).active
    head = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "P-BINH-07")
    assert row[head.index("Số CCCD")].value == scene["binh"]["citizen_id"]
    assert row[head.index("Số tiền (đồng)")].value == AMOUNT
    assert row[head.index("Chứng từ")].value in {"=HYPERLINK(1)", "'=HYPERLINK(1)"}


def test_every_event_type_has_a_vietnamese_label():
    """A new event class needs its name in domain/labels.py (the audit trail, its files, the pages)."""
    import domain.beneficiary  # noqa: PLC0415 - every aggregate, so that every event class is known
    import domain.campaigns  # noqa: PLC0415
    import domain.indexes  # noqa: PLC0415
    import domain.rates  # noqa: PLC0415
    import domain.rosters  # noqa: PLC0415
    import domain.users  # noqa: F401, PLC0415
    from domain.events import LedgerAggregate  # noqa: PLC0415
    from domain.labels import EVENT_LABELS, OTHER_RECORD_LABELS  # noqa: PLC0415

    found: set[str] = set()
    todo = [LedgerAggregate.Event]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("domain.") and cls.__name__ not in {"Event", "Created"}:
            found.add(cls.__name__)
    assert "PaymentRecorded" in found
    assert sorted(found - {*EVENT_LABELS, *OTHER_RECORD_LABELS}) == []


def test_a_file_of_more_entries_than_a_file_holds_is_refused_before_it_is_built(
    api: Api, monkeypatch: pytest.MonkeyPatch
):
    """One request must not hold the server for a province's whole log: beyond MAX_FILE_ROWS entries the
    take-away is refused naming ``format`` (narrower filters still give their file)."""
    scene = _scene(api)
    monkeypatch.setattr(projections.audit, "MAX_FILE_ROWS", 5)
    assert len(_audit(api, limit=500)["items"]) > 5
    refused = api.get("/v1/audit", as_="inspector", format="xlsx")
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["format"]
    assert "at most 5 entries" in refused.json()["errors"][0]["message"]
    narrow = api.get("/v1/audit", as_="inspector", format="csv", beneficiary_id=scene["binh"]["id"])
    assert narrow.status_code == 200, narrow.text  # one person's trail: within the limit
    assert api.get("/v1/payments", as_="inspector", format="csv").status_code == 200  # two payments
