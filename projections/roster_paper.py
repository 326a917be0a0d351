"""What a printed roster carries — giấy tờ của danh sách chi trả: the wording the print view
(``api/pages/templates/ban_in.html``) and the XLSX workbook (:mod:`projections.roster_workbook`) share,
so that the page and the file an officer signs say the same thing.

* the unit heading on the left (:func:`letterhead`: the province's and the commune's people's
  committees) and the national heading on the right (:data:`NATIONAL_HEADING`: quốc hiệu and tiêu ngữ);
* the title (:func:`roster_title`);
* an item as a person reads it (:func:`item_label`: the scheme's Vietnamese name from the catalogue, the
  kind of item and its month — :func:`scheme_name`);
* the signature block (:data:`SIGNATURES`, :data:`SIGNING_DATE`);
* the issued roster's checkpoint at its foot (:func:`checkpoint_lines`).
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from domain.catalogue import scheme_catalogue
from ledger.adapters.communes import communes_of, resolve_commune

if TYPE_CHECKING:
    from collections.abc import Sequence

    from projections.rosters import RosterItem, RosterLine

NATIONAL_HEADING = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập – Tự do – Hạnh phúc")
"""Quốc hiệu and tiêu ngữ, the top right corner of every official document (the second one underlined)."""

SIGNATURES = (
    ("Người lập biểu", "(Ký, ghi rõ họ tên)"),
    ("Kế toán", "(Ký, ghi rõ họ tên)"),
    ("Thủ trưởng đơn vị", "(Ký, ghi rõ họ tên, đóng dấu)"),
)
"""Who signs the roster under its totals, left to right, with the hint under each role."""

SIGNING_DATE = "Ngày ….. tháng ….. năm ……"
"""Filled in by hand above the head of the unit's signature."""

ITEM_LABELS = {
    "regular": "tháng",
    "arrears": "truy lĩnh",
    "carried_over": "chuyển kỳ",
    "one_off": "một lần",
    "recovery": "khấu trừ thu hồi",
}
RECOVERY_NAME = "Khấu trừ thu hồi chi thừa"
CHECKPOINT_LABEL = "Điểm kiểm tra sổ cái (checkpoint)"


def period_label(period: str | None) -> str:
    """``2024-08`` → ``08/2024``; a one-off (``once``) → ``một lần``; nothing → ``""``."""
    if not period:
        return ""
    if period == "once":
        return "một lần"
    match = re.fullmatch(r"(\d{4})-(\d{2})", period)
    return f"{match.group(2)}/{match.group(1)}" if match else period


def scheme_name(code: str) -> str:
    """The Vietnamese name of a scheme (``name_vi`` of the catalogue); the code itself if unknown."""
    if code == "RECOVERY":
        return RECOVERY_NAME
    scheme = scheme_catalogue().get(code)
    return scheme.name_vi if scheme else code


def item_label(item: RosterItem, *, short: bool = False) -> str:
    """``Thân nhân liệt sĩ (trợ cấp hằng tháng) — truy lĩnh 07/2024``; a recovery ``Khấu trừ thu hồi``
    (its amount is negative). ``short``: without the legal reference in the scheme's name ("(điểm c
    khoản 5 Điều 5)"), for a roster row that has room for two lines."""
    return _item_label(item.scheme, item.type, item.period, short=short)


_CITATION = re.compile(r"\s*\((?:điểm|khoản|Điều|PL)[^)]*\)")


@cache
def _item_label(scheme: str, kind: str, period: str | None, *, short: bool) -> str:
    """A roster has few distinct (scheme, kind, month): each label is made once."""
    if kind == "recovery":
        return ITEM_LABELS["recovery"].capitalize()
    when = period_label(period)
    name = _CITATION.sub("", scheme_name(scheme)) if short else scheme_name(scheme)
    return f"{name} — {ITEM_LABELS[kind]}" + (f" {when}" if when else "")


STATUS_MARKS = {"issued": "ĐÃ PHÁT HÀNH", "prepared": "CHỜ PHÊ DUYỆT"}
"""What a roster's title says of its status: only an issued roster is "đã phát hành"; one prepared and
awaiting its second signature is "chờ phê duyệt"; one built now (none prepared, or returned) says
nothing."""


def roster_title(month: object, status: str | None = None) -> str:
    """``DANH SÁCH CHI TRẢ TRỢ CẤP THÁNG 08/2024``, and the frozen document's status
    (:data:`STATUS_MARKS`): ``… — CHỜ PHÊ DUYỆT``."""
    title = f"DANH SÁCH CHI TRẢ TRỢ CẤP THÁNG {period_label(str(month))}"
    mark = STATUS_MARKS.get(status or "")
    return f"{title} — {mark}" if mark else title


def province_title(name: str) -> str:
    """``Đồng Nai`` → ``Tỉnh Đồng Nai``; the five cities are named ``Thành phố …`` already."""
    return name if name.startswith(("Thành phố", "Tỉnh")) else f"Tỉnh {name}"


def letterhead(province: str | None, commune_code: str | None, lines: Sequence[RosterLine]) -> list[str]:
    """Who issues the list, as the top-left corner names it: the province's and the commune's people's
    committees (the province of the deployment, else the one of the lines; several: "ĐƠN VỊ CHI TRẢ")."""
    if commune_code:
        commune = resolve_commune(commune_code)
        return [f"UBND {province_title(commune.province_name)}".upper(), f"UBND {commune.name}".upper()]
    names = {resolve_commune(code).province_name for code in {line.commune_code for line in lines}}
    if province:
        names = {c.province_name for c in communes_of(province)[:1]}
    return [f"UBND {province_title(names.pop())}".upper()] if len(names) == 1 else ["ĐƠN VỊ CHI TRẢ"]


def checkpoint_lines(checkpoint: dict[str, Any] | None) -> list[str]:
    """What an issued roster prints at its foot: the short form of the checkpoint taken when it was
    issued (root hash prefix / tree size) and the full signed note, so the paper roster the commune
    signs is itself a witness of the log (``ledger verify --against`` takes the note back)."""
    if not checkpoint:
        return []
    return [f"{CHECKPOINT_LABEL}: {checkpoint['short']}", *str(checkpoint["note"]).rstrip("\n").split("\n")]
