"""The ledger's refusals in Vietnamese — lời từ chối: the ledger writes its refusals in English (the API's
422 and 409 bodies); what a person reads — beside a field on the pages, a row of an import on the command
line — is its Vietnamese text where the message is a common one (:func:`vietnamese`), else the ledger's
own words. One table for every entrance.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from domain.errors import InvalidInput
from domain.values import format_day, format_month

if TYPE_CHECKING:
    from collections.abc import Callable


def _money(text: str) -> str:
    return text.replace(",", ".")


CARD_NUMBER_HELP = (
    "Số thẻ BHYT gồm 15 ký tự: mã nhóm 2 chữ cái, mức hưởng 1–5, mã tỉnh 2 số, 10 số BHXH"
    " (ví dụ TS2751234567890)."
)

Translations = list[tuple[re.Pattern[str], str]]


def translations(pairs: list[tuple[str, str]]) -> Translations:
    return [(re.compile(pattern), text) for pattern, text in pairs]


def translate(table: Translations, english: str, group_text: Callable[[str], str]) -> str | None:
    """The Vietnamese text of the first pattern that matches ``english``, its ``{1}``… replaced by the
    groups matched (through ``group_text``); ``None`` when none matches."""
    for pattern, text in table:
        match = pattern.search(english)
        if match:
            out = text
            for n, group in enumerate(match.groups(), start=1):
                out = out.replace(f"{{{n}}}", group_text(group or ""))
            return out
    return None


# (pattern of the ledger's English message, Vietnamese text; ``{1}``… are the pattern's groups)
_MESSAGES = translations([
    (r"^must be a month written YYYY-MM", "Tháng phải có dạng mm/yyyy (ví dụ 08/2024)."),
    (r"^month number must be 01–12", "Tháng phải từ 01 đến 12."),
    (r"^year must be between (\d+) and (\d+)", "Năm phải từ {1} đến {2}."),
    (r"^must be a whole number of đồng", "Số tiền phải là số nguyên, tính bằng đồng (ví dụ 2.789.000)."),
    (r"^must be greater than zero", "Số tiền phải lớn hơn 0."),
    (r"^must not be negative", "Không được là số âm."),
    (r"^is implausibly large", "Số tiền quá lớn, không hợp lý."),
    (r"^must be a date written YYYY-MM-DD", "Ngày phải có dạng dd/mm/yyyy."),
    (r"^must be an ISO 8601 timestamp or date", "Ngày phải có dạng dd/mm/yyyy."),
    (r"^must not be in the future", "Không được sau ngày hôm nay."),
    (r"^must be at most (\d+) characters", "Tối đa {1} ký tự."),
    (r"^must not contain control characters; (U\+[0-9A-F]+)", "Không được chứa ký tự điều khiển ({1})."),
    (r"^must be 'cash' or 'bank'", "Hình thức nhận phải là tiền mặt hoặc chuyển khoản."),
    (r"^is required for the monthly scheme", "Chế độ hằng tháng phải ghi kỳ chi trả."),
    (r"^is required as a whole number from (\d+) to (\d+)", "Bắt buộc nhập số nguyên từ {1} đến {2}."),
    (r"^is required \(or (\w+)\)", "Bắt buộc nhập (hoặc cột {1})."),
    (r"^must not be empty|^is required", "Bắt buộc nhập."),
    (r"^must be omitted for a one-off", "Khoản trợ cấp một lần không ghi kỳ."),
    (r"^nothing is due for \S+ in once", "Khoản trợ cấp một lần này không có gì phải chi."),
    (r"^nothing is due for \S+ in (\S+): the entitlement starts in (\S+)",
     "Kỳ {1} không có khoản phải chi: chế độ bắt đầu từ tháng {2}."),
    (r"^nothing is due for \S+ in (\S+): payment stopped from (\S+)",
     "Kỳ {1} không có khoản phải chi: đã dừng chi trả từ tháng {2}."),
    (r"^nothing is due for \S+ in (\S+): the entitlement is suspended",
     "Kỳ {1} không có khoản phải chi: chế độ đang tạm dừng."),
    (r"^nothing is due for \S+ in (\S+): another social-assistance group",
     "Kỳ {1} không có khoản phải chi: đối tượng đang hưởng mức của nhóm có hệ số cao hơn."),
    (r"^nothing is due for \S+ in (\S+)", "Kỳ {1} không có khoản phải chi."),
    (r"^\S+ for (\S+) is already paid", "Kỳ {1} đã được chi trả đủ."),
    (r"^\S+ for (\S+) was paid", "Kỳ {1} đã được chi trả, không thể ghi không nhận."),
    (r"^\S+ for (\S+) is already recorded as not collected", "Kỳ {1} đã được ghi là không nhận."),
    (r"^amount ([\d,]+) exceeds what is owed for (\S+) \(([\d,]+) đồng\)",
     "Số tiền {1} đ vượt quá số còn phải chi cho kỳ {2} ({3} đ)."),
    (r"^is ([\d,]+) but ([\d,]+) đồng is due",
     "Số tiền {1} đ khác số phải chi {2} đ (chi thiếu thì phải ghi rõ là chi một phần)."),
    (r"^payment_id (\S+) was already used", "Mã chi trả {1} đã được dùng cho một khoản chi khác."),
    (r"^entitlement \S* ?not found", "Chọn một chế độ của đối tượng này."),
    (r"^must be a 5-digit commune code", "Mã xã/phường gồm 5 chữ số."),
    (r"^(\d+) is not a commune code",
     "Không có xã/phường mang mã {1} trong danh mục (sau sắp xếp năm 2025)."),
    (r"^commune (\d+) \((.*)\) is not in province", "Xã/phường {1} ({2}) không thuộc tỉnh của hệ thống."),
    # decisions
    (r"^must be from (\d+) to (\d+)", "Phải từ {1} đến {2}."),
    (r"^applies only from an injury rate of 81%", "Chỉ áp dụng khi tỷ lệ tổn thương từ 81% trở lên."),
    (r"^is not a parameter of scheme (\S+)", "Chế độ {1} không có tham số này: để trống ô này."),
    (r"^must be a scheme code from the catalogue", "Chọn một chế độ trong danh mục."),
    (r"^unknown scheme code", "Chọn một chế độ trong danh mục."),
    (r"^scheme \S+ is not for a", "Chế độ này không áp dụng cho loại đối tượng này."),
    (r"^must not be before the start month (\S+)", "Không được trước tháng bắt đầu {1}."),
    (r"^a funeral allowance needs the death", "Trợ cấp mai táng chỉ ghi sau khi đã báo tử."),
    (r"^a one-off \S+ is already granted for (\S+)",
     "Khoản trợ cấp một lần này đã có quyết định cho tháng {1}."),
    (r"the beneficiary died on (\S+)", "Đối tượng đã mất ngày {1}: không ghi được nghiệp vụ này."),
    (r"^a one-off entitlement cannot be adjusted", "Khoản trợ cấp một lần không điều chỉnh được."),
    (r"^must not be before the entitlement's start (\S+)",
     "Không được trước tháng bắt đầu hưởng ({1})."),
    (r"^the entitlement stopped from (\S+)", "Chế độ đã dừng từ tháng {1}."),
    (r"^the entitlement was already terminated after (\S+)", "Chế độ đã thôi hưởng sau tháng {1}."),
    (r"^must not be before (\d{4}-\d{2}) \(the start is (\S+)\)",
     "Không được trước tháng {1} (chế độ bắt đầu từ tháng {2})."),
    (r"^must not be before the date of birth", "Không được trước ngày sinh."),
    (r"^must be one of ", "Chọn một giá trị trong danh sách."),
    # recoveries
    (r"^there is no overpayment outstanding", "Không có khoản chi thừa nào còn phải thu hồi."),
    (r"^amount ([\d,]+) exceeds the overpayment outstanding \(([\d,]+) đồng\)",
     "Số tiền {1} đ vượt quá số chi thừa còn phải thu hồi ({2} đ)."),
    (r"^amount ([\d,]+) exceeds the recovery credit to pay back \(([\d,]+) đồng\)",
     "Số tiền {1} đ vượt quá số đã thu thừa phải hoàn trả ({2} đ)."),
    # cards
    (r"^must be (a card number like|2-letter group code)", CARD_NUMBER_HELP),
    (r"^group code (\w+) is not one of", "Mã nhóm {1} không có trong danh mục nhóm đối tượng BHYT."),
    (r"^province code (\d+) is not a province code", "Mã tỉnh {1} trong số thẻ không đúng."),
    (r"^must not be before valid_from", "Không được trước ngày thẻ bắt đầu có giá trị."),
    (r"^must not be before the card's valid_from", "Không được trước ngày thẻ bắt đầu có giá trị."),
    (r"^card (\S+) is already in use by this beneficiary", "Thẻ {1} của đối tượng này đang còn giá trị."),
    (r"^card number (\S+) is in use by another beneficiary", "Thẻ {1} đã được cấp cho đối tượng khác."),
    (r"^card (\S+) not found", "Không có thẻ {1} của đối tượng này."),
    (r"^card (\S+) was revoked on (\S+)", "Thẻ {1} đã bị thu hồi từ ngày {2}."),
    # imports of files
    (r"^unknown column ('[^']*')", "Cột {1} không thuộc mẫu tệp (xem các cột của tệp xác nhận)."),
    (r"^is empty$", "Tệp rỗng."),
    (r"^is not UTF-8 text", "Tệp không phải văn bản UTF-8 (lưu tệp CSV dạng UTF-8)."),
    (r"^repeats the payment id of row (\d+)", "Trùng mã chi trả với dòng {1}."),
    # rosters, reports
    (r"^the roster for (\S+) \(.*\) was already issued",
     "Danh sách chi trả tháng {1} của phạm vi này đã được phát hành trước đó."),
    (r"^must not be before from", "Không được trước ngày bắt đầu."),
    (r"^a report covers at most (\d+) months", "Một báo cáo gồm tối đa {1} tháng."),
])  # fmt: skip

# The same refusal said more precisely for one field: ``{(field, pattern): text}``.
_FIELD_MESSAGES: dict[tuple[str, str], str] = {
    ("paid_on", r"^must not be in the future"): "Ngày chi không được sau ngày hôm nay.",
    ("date_of_death", r"^must not be in the future"): "Ngày mất không được sau ngày hôm nay.",
}


def vietnamese(message: str, field: str = "") -> str:
    """The ledger's refusal in Vietnamese when it is a common one, else as the ledger wrote it.

    ``field`` (the form's name for the field refused) picks a more precise text where there is one."""
    for (name, precise), text in _FIELD_MESSAGES.items():
        if name == field and re.search(precise, message):
            return text
    return translate(_MESSAGES, message, _group_text) or message


def _group_text(group: str) -> str:
    try:
        if re.fullmatch(r"\d{4}-\d{2}", group):
            return format_month(group)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", group):
            return format_day(date.fromisoformat(group))
    except (InvalidInput, ValueError):  # not a real month or day: as written
        return group
    return _money(group)
