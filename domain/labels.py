"""The domain's names in Vietnamese — tên gọi: what every entrance (pages, files, the command line) shows
for a kind of beneficiary, a status, a role, a payment channel and each type of recorded event, so that
no developer text (``PaymentRecorded``, ``cash``) reaches a user.
"""

from __future__ import annotations

KIND_LABELS = {
    "meritorious": "Người có công",
    "social_assistance": "Bảo trợ xã hội",
    "poor_household": "Hộ nghèo, cận nghèo",
    "any": "Chung",
}
STATUS_LABELS = {
    "active": "Đang hưởng",
    "suspended": "Tạm dừng",
    "terminated": "Thôi hưởng",
    "deceased": "Đã mất",
}
ROLE_LABELS = {
    "officer": "Cán bộ",
    "inspector": "Thanh tra",
    "approver": "Người phê duyệt",
    "admin": "Quản trị",
}
CHANNEL_LABELS = {"cash": "Tiền mặt", "bank": "Chuyển khoản"}
SEX_LABELS = {"male": "Nam", "female": "Nữ"}
POVERTY_LABELS = {"poor": "Hộ nghèo", "near_poor": "Hộ cận nghèo"}
RECOVERY_LABELS = {"cash": "Nộp tiền mặt", "deduction": "Khấu trừ", "refund": "Hoàn trả"}
EVENT_LABELS = {
    "BeneficiaryRegistered": "Đăng ký đối tượng",
    "DetailsCorrected": "Đính chính thông tin",
    "Relocated": "Chuyển xã/phường",
    "PaymentChannelChanged": "Đổi hình thức nhận",
    "EntitlementGranted": "Quyết định hưởng",
    "EntitlementAdjusted": "Điều chỉnh mức hưởng",
    "EntitlementSuspended": "Tạm dừng hưởng",
    "EntitlementResumed": "Tiếp tục hưởng",
    "EntitlementTerminated": "Thôi hưởng",
    "DeathRecorded": "Báo tử",
    "PaymentRecorded": "Chi trả",
    "PaymentNotCollected": "Không nhận",
    "PaymentReversed": "Hủy chi trả",
    "OverpaymentRecovered": "Thu hồi chi thừa",
    "OverpaymentDeducted": "Khấu trừ thu hồi chi thừa",
    "HealthInsuranceCardIssued": "Cấp thẻ BHYT",
    "HealthInsuranceCardRenewed": "Gia hạn thẻ BHYT",
    "HealthInsuranceCardRevoked": "Thu hồi thẻ BHYT",
}
OTHER_RECORD_LABELS = {
    "BeneficiarySnapshot": "Ảnh chụp trạng thái",
    "RosterIssued": "Phát hành danh sách chi trả",
    "RosterContent": "Nội dung danh sách chi trả",  # the base of the two below, never recorded itself
    "RosterPrepared": "Lập danh sách chi trả, trình duyệt",
    "RosterPreparedAgain": "Lập lại danh sách chi trả, trình duyệt",
    "RosterApproved": "Phê duyệt, phát hành danh sách chi trả",
    "RosterReturned": "Trả lại danh sách chi trả",
    "UserRegistered": "Tạo người dùng",
    "UserDisabled": "Khóa người dùng",
    "TokenIssued": "Cấp mã truy cập",
    "ValueClaimed": "Giữ mã duy nhất",
    "RateScheduleOpened": "Mở biểu mức",
    "RateAmended": "Sửa đổi mức chuẩn",
    "RateAmendmentProposed": "Đề xuất sửa đổi mức chuẩn (chờ duyệt)",
    "RateAmendmentApproved": "Duyệt sửa đổi mức chuẩn",
    "NccTablesOpened": "Mở bảng mức trợ cấp NCC",
    "EditionRecorded": "Ghi bảng mức trợ cấp NCC",
    "CampaignStarted": "Bắt đầu đợt chi",
    "CampaignCompleted": "Hoàn thành đợt chi",
}


def event_label(event_type: str) -> str:
    """The Vietnamese name of a recorded event's type (the type itself when the table has none)."""
    return EVENT_LABELS.get(event_type) or OTHER_RECORD_LABELS.get(event_type, event_type)
