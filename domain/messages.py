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


DATE_REFUSAL = "Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy."
"""A date that is no date, or not written dd/mm/yyyy (or ISO yyyy-mm-dd)."""

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
    ("^must be a month written YYYY-MM", "Tháng phải có dạng mm/yyyy (ví dụ 08/2024)."),
    ("^month number must be 01–12", "Tháng phải từ 01 đến 12."),
    (r"^year must be between (\d+) and (\d+)", "Năm phải từ {1} đến {2}."),
    (r"^must be a whole number of đồng \(integer\), got None", "Bắt buộc nhập số tiền (đồng)."),
    ("^must be a whole number of đồng", "Số tiền phải là số nguyên, tính bằng đồng (ví dụ 2.789.000)."),
    ("^must be greater than zero", "Số tiền phải lớn hơn 0."),
    ("^must not be negative", "Không được là số âm."),
    ("^is implausibly large", "Số tiền quá lớn, không hợp lý."),
    ("^must be a date written YYYY-MM-DD", DATE_REFUSAL),
    ("^must be an ISO 8601 timestamp or date", DATE_REFUSAL),
    ("^must not be in the future", "Không được sau ngày hôm nay."),
    (r"^must be at most (\d+) characters", "Tối đa {1} ký tự."),
    (r"^must not contain control characters; (U\+[0-9A-F]+)", "Không được chứa ký tự điều khiển ({1})."),
    ("^must be 'cash' or 'bank'", "Hình thức nhận phải là tiền mặt hoặc chuyển khoản."),
    ("^is required for the monthly scheme", "Chế độ hằng tháng phải ghi kỳ chi trả."),
    (r"^is required as a whole number from (\d+) to (\d+)", "Bắt buộc nhập số nguyên từ {1} đến {2}."),
    (r"^is required \(or (\w+)\)", "Bắt buộc nhập (hoặc cột {1})."),
    ("^is required for kind", "Bắt buộc nhập với loại đối tượng này."),
    ("^must not be empty|^is required", "Bắt buộc nhập."),
    ("^must be omitted for a one-off", "Khoản trợ cấp một lần không ghi kỳ."),
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
    ("^must be a 5-digit commune code", "Mã xã/phường gồm 5 chữ số."),
    (r"^(\d+) is not a commune code",
     "Không có xã/phường mang mã {1} trong danh mục (sau sắp xếp năm 2025)."),
    (r"^commune (\d+) \((.*)\) is not in province", "Xã/phường {1} ({2}) không thuộc tỉnh của hệ thống."),
    (r"^must be from (\d+) to (\d+)", "Phải từ {1} đến {2}."),
    ("^applies only from an injury rate of 81%", "Chỉ áp dụng khi tỷ lệ tổn thương từ 81% trở lên."),
    (r"^is not a parameter of scheme (\S+)", "Chế độ {1} không có tham số này: để trống ô này."),
    ("^must be a scheme code from the catalogue", "Chọn một chế độ trong danh mục."),
    ("^unknown scheme code", "Chọn một chế độ trong danh mục."),
    (r"^scheme \S+ is not for a", "Chế độ này không áp dụng cho loại đối tượng này."),
    (r"^must not be before the start month (\S+)", "Không được trước tháng bắt đầu {1}."),
    ("^a funeral allowance needs the death", "Trợ cấp mai táng chỉ ghi sau khi đã báo tử."),
    (r"^a one-off \S+ is already granted for (\S+)",
     "Khoản trợ cấp một lần này đã có quyết định cho tháng {1}."),
    (r"the beneficiary died on (\S+)", "Đối tượng đã mất ngày {1}: không ghi được nghiệp vụ này."),
    ("^a one-off entitlement cannot be adjusted", "Khoản trợ cấp một lần không điều chỉnh được."),
    (r"^must not be before the entitlement's start (\S+)", "Không được trước tháng bắt đầu hưởng ({1})."),
    (r"^the entitlement stopped from (\S+)", "Chế độ đã dừng từ tháng {1}."),
    (r"^the entitlement was already terminated after (\S+)", "Chế độ đã thôi hưởng sau tháng {1}."),
    (r"^must not be before (\d{4}-\d{2}) \(the start is (\S+)\)",
     "Không được trước tháng {1} (chế độ bắt đầu từ tháng {2})."),
    ("^must not be before the date of birth", "Không được trước ngày sinh."),
    ("^must be one of ", "Chọn một giá trị trong danh sách."),
    ("^there is no overpayment outstanding", "Không có khoản chi thừa nào còn phải thu hồi."),
    (r"^amount ([\d,]+) exceeds the overpayment outstanding \(([\d,]+) đồng\)",
     "Số tiền {1} đ vượt quá số chi thừa còn phải thu hồi ({2} đ)."),
    (r"^amount ([\d,]+) exceeds the recovery credit to pay back \(([\d,]+) đồng\)",
     "Số tiền {1} đ vượt quá số đã thu thừa phải hoàn trả ({2} đ)."),
    ("^must be (a card number like|2-letter group code)", CARD_NUMBER_HELP),
    (r"^group code (\w+) is not one of", "Mã nhóm {1} không có trong danh mục nhóm đối tượng BHYT."),
    (r"^province code (\d+) is not a province code", "Mã tỉnh {1} trong số thẻ không đúng."),
    ("^must not be before valid_from", "Không được trước ngày thẻ bắt đầu có giá trị."),
    ("^must not be before the card's valid_from", "Không được trước ngày thẻ bắt đầu có giá trị."),
    (r"^card (\S+) is already in use by this beneficiary", "Thẻ {1} của đối tượng này đang còn giá trị."),
    (r"^card number (\S+) is in use by another beneficiary", "Thẻ {1} đã được cấp cho đối tượng khác."),
    (r"^card (\S+) not found", "Không có thẻ {1} của đối tượng này."),
    (r"^card (\S+) was revoked on (\S+)", "Thẻ {1} đã bị thu hồi từ ngày {2}."),
    ("^a one-off entitlement cannot be suspended", "Khoản trợ cấp một lần không tạm dừng được."),
    ("^the entitlement is already suspended", "Chế độ này đang tạm dừng."),
    (r"^the entitlement is not running in (\S+)", "Tháng {1} chế độ này không còn hưởng."),
    ("^must not be before the last resumption", "Không được trước tháng tiếp tục hưởng gần nhất."),
    ("^the entitlement is not suspended", "Chế độ này không bị tạm dừng."),
    (r"^must be after the suspension month (\S+)", "Phải sau tháng tạm dừng {1}."),
    (r"^the beneficiary already lives in commune (\d+) in (\S+)",
     "Tháng {2} đối tượng đã ở xã/phường {1}: chọn xã/phường khác."),
    ("^the payment channel is already the one given", "Đối tượng đang nhận bằng đúng hình thức này."),
    ("^must be a bank code", "Mã ngân hàng gồm 2–12 chữ cái hoặc chữ số (ví dụ VCB)."),
    ("^must be 6–19 digits", "Số tài khoản gồm 6–19 chữ số."),
    ("^must be an object with a type", "Chọn tiền mặt hoặc chuyển khoản."),
    ("^name at least one field to correct", "Chưa có ô nào thay đổi: sửa ô cần đính chính."),
    ("^a correction needs a reason", "Bắt buộc ghi lý do đính chính."),
    ("^cannot be corrected this way", "Không đính chính được thông tin này."),
    (r"^must be after the current end (\S+)", "Phải sau ngày hết hạn hiện tại {1}."),
    ("^must be (exactly )?12 digits", "Số CCCD gồm 12 chữ số."),
    (r"^first three digits (\d+) are not a province code",
     "Ba chữ số đầu {1} không phải mã tỉnh nơi đăng ký khai sinh."),
    (r"^encodes birth year (\d+), but date_of_birth", "Số CCCD ghi năm sinh {1}, khác với ngày sinh."),
    (r"^encodes sex (\w+), but sex", "Số CCCD không khớp với giới tính."),
    ("^must be written with ASCII digits and letters", "Chỉ được dùng chữ số và chữ cái không dấu."),
    (r"^citizen ID (\d+) is already registered", "Số CCCD {1} đã được đăng ký cho một đối tượng khác."),
    (r"^household code (\S+) is already registered", "Mã hộ {1} đã được đăng ký."),
    ("^applies only to kind poor_household", "Chỉ ghi với hộ nghèo, cận nghèo: để trống ô này."),
    ("^must be 'poor' or 'near_poor'", "Chọn hộ nghèo hoặc hộ cận nghèo."),
    ("^must be 'male' or 'female'", "Chọn Nam hoặc Nữ."),
    ("^must be text, got None", "Bắt buộc nhập."),
    (r"^died in (\d{4}-\d{2})", "Đã mất tháng {1}."),
    ("^not a beneficiary of this ledger", "Không có đối tượng này trong sổ."),
    ("^must be letters, digits and", "Chỉ gồm chữ cái, chữ số và . _ / : - (bắt đầu bằng chữ cái hoặc số)."),
    ("is outside the scope of user", "Xã/phường này ngoài phạm vi được giao của bạn."),
    ("^must not be more than a year ahead", "Không được quá một năm sau hôm nay."),
    (r"^must be on or after (\S+)", "Không được trước ngày {1}."),
    ("^a campaign grants a one-off", "Đợt chi chỉ dùng cho khoản trợ cấp một lần."),
    ("^must be a non-empty list of scheme codes", "Chọn ít nhất một chế độ."),
    (r"^campaign \S+ was started with another definition",
     "Mã đợt chi này đã được dùng cho một đợt khác: chọn mã khác."),
    ("^unknown column ('[^']*')", "Cột {1} không thuộc mẫu tệp (xem các cột của tệp xác nhận)."),
    ("^cannot read '([^']*)'", "Không đọc được giá trị «{1}»."),
    ("^is empty$", "Tệp rỗng."),
    (r"^line (\d+) is longer than ([\d,]+) characters", "Dòng {1} dài quá {2} ký tự."),
    ("^is not UTF-8 text", "Tệp không phải văn bản UTF-8 (lưu tệp CSV dạng UTF-8)."),
    ("^is not a readable XLSX workbook", "Không đọc được tệp XLSX."),
    ("^is not a readable CSV file", "Không đọc được tệp CSV."),
    (r"^repeats the payment id of row (\d+)", "Trùng mã chi trả với dòng {1}."),
    (r"^no beneficiary with citizen ID (\d+)", "Không có đối tượng mang số CCCD {1}."),
    (r"^no beneficiary with id (\S+)", "Không có đối tượng mang mã {1}."),
    (r"^the beneficiary has no entitlement of scheme (\S+)", "Đối tượng không hưởng chế độ {1}."),
    (r"^the roster for (\S+) \(.*\) was already issued",
     "Danh sách chi trả tháng {1} của phạm vi này đã được phát hành trước đó."),
    (r"^danh sách chi trả (\S+) \(.*\) đã phát hành \(issued\)",
     "Danh sách chi trả tháng {1} của phạm vi này đã được phát hành trước đó."),
    (r"^danh sách chi trả (\S+) \(.*\) đang chờ phê duyệt \(prepared, lập bởi ([^)]+)\)",
     ("Danh sách chi trả tháng {1} của phạm vi này đang chờ phê duyệt (lập bởi {2}): phê duyệt hoặc "
      "trả lại trước khi lập lại.")),
    (r"^danh sách chi trả (\S+) \(.*\) (đã phát hành|bị trả lại) \(\w+\): chỉ (phê duyệt|trả lại)",
     "Danh sách chi trả tháng {1} {2}: chỉ {3} được danh sách đang chờ phê duyệt."),
    (r"^danh sách chi trả (\S+) \(.*\) (chờ phê duyệt|bị trả lại)",
     "Danh sách chi trả tháng {1} {2}: chỉ ghi chi trả theo danh sách đã phê duyệt."),
    (r"^người lập danh sách \(([^)]+)\) không được tự (phê duyệt|trả lại)",
     "Người lập danh sách ({1}) không được tự {2}: cần một người phê duyệt khác hoặc quản trị."),
    ("^must not be before from", "Không được trước ngày bắt đầu."),
    (r"^a file holds at most ([\d,]+) entries",
     "Một tệp chứa tối đa {1} dòng mà tìm kiếm này nhiều hơn: thu hẹp điều kiện (ngày, kỳ, xã/phường)."),
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
