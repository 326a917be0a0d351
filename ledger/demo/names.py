"""Vietnamese names of the synthetic province (họ, tên đệm, tên), drawn with the weights of the south."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random

# ------------------------------------------------------------------------------------------------
# Names (họ, tên đệm, tên) — weights roughly as in the south of Viet Nam.

FAMILY_NAMES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 31), ("Trần", 10), ("Lê", 9), ("Phạm", 6), ("Huỳnh", 5), ("Võ", 5), ("Phan", 4),
    ("Hoàng", 2), ("Vũ", 2), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 1.5), ("Hồ", 1.5), ("Ngô", 1.5),
    ("Trương", 1.5), ("Dương", 1), ("Đinh", 0.8), ("Lâm", 0.8), ("Đoàn", 0.8), ("Lý", 0.7),
    ("Mai", 0.7), ("Cao", 0.6), ("Châu", 0.5), ("Tạ", 0.4),
)  # fmt: skip
MALE_MIDDLE: tuple[tuple[str, float], ...] = (
    ("Văn", 40), ("Hữu", 6), ("Đức", 6), ("Minh", 6), ("Quốc", 4), ("Công", 4), ("Tấn", 4),
    ("Thanh", 4), ("Ngọc", 3), ("Xuân", 2),
)  # fmt: skip
FEMALE_MIDDLE: tuple[tuple[str, float], ...] = (
    ("Thị", 45), ("Ngọc", 6), ("Thu", 4), ("Kim", 4), ("Thanh", 3), ("Mỹ", 3), ("Bích", 2),
    ("Hồng", 2), ("Thúy", 2),
)  # fmt: skip
YOUNG_MALE_MIDDLE = ("Minh", "Gia", "Đức", "Quốc", "Hoàng", "Anh", "Tuấn", "Thanh")
YOUNG_FEMALE_MIDDLE = ("Ngọc", "Khánh", "Thảo", "Bảo", "Thu", "Minh", "Phương", "Thị")
MALE_GIVEN = (
    "Hùng", "Dũng", "Tuấn", "Long", "Nam", "Sơn", "Hải", "Phúc", "Tâm", "Thắng", "Cường", "Bình",
    "An", "Lộc", "Tài", "Đạt", "Hòa", "Trung", "Quang", "Hiếu", "Nghĩa", "Thuận", "Phước", "Lợi",
    "Tư", "Sáu", "Bảy", "Tám", "Chín", "Mười", "Hoàng", "Thành", "Vinh", "Khải", "Tùng",
)  # fmt: skip
FEMALE_GIVEN = (
    "Lan", "Hoa", "Mai", "Hương", "Hạnh", "Nga", "Thảo", "Cúc", "Liên", "Xuân", "Thủy", "Hồng",
    "Vân", "Lệ", "Nhàn", "Sen", "Đào", "Ba", "Tư", "Năm", "Sáu", "Bảy", "Út", "Loan", "Tuyết",
    "Nhung", "Phượng", "Dung", "Yến", "Hằng",
)  # fmt: skip
YOUNG_MALE_GIVEN = ("Huy", "Khang", "Long", "Phúc", "Nam", "Khoa", "Bảo", "Khôi", "Quân", "Thịnh", "Đăng")
YOUNG_FEMALE_GIVEN = ("Anh", "Hân", "Ngân", "Vy", "Trâm", "Nhi", "Linh", "Thư", "Châu", "Giang", "My")
MALE_ONLY_MIDDLE = frozenset({"Văn", "Hữu", "Đức", "Quốc", "Công", "Tấn"})
FEMALE_ONLY_MIDDLE = frozenset({"Thị", "Thu", "Kim", "Mỹ", "Bích", "Hồng", "Thúy", "Khánh", "Phương"})


def weighted(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def draw_name(rng: random.Random, sex: str, *, young: bool = False, family: str | None = None) -> str:
    """Family name, middle name and given name; ``young``: the names of people born from 1995."""
    family = family or weighted(rng, FAMILY_NAMES)
    if young:
        middle = rng.choice(YOUNG_MALE_MIDDLE if sex == "male" else YOUNG_FEMALE_MIDDLE)
        given = rng.choice(YOUNG_MALE_GIVEN if sex == "male" else YOUNG_FEMALE_GIVEN)
    else:
        middle = weighted(rng, MALE_MIDDLE if sex == "male" else FEMALE_MIDDLE)
        given = rng.choice(MALE_GIVEN if sex == "male" else FEMALE_GIVEN)
    return f"{family} {middle} {given}"


def middle_name_sex(full_name: str) -> str | None:
    """The sex a middle name (tên đệm) implies, if it implies one (Văn → male, Thị → female)."""
    parts = full_name.split()
    middle = set(parts[1:-1])
    if middle & MALE_ONLY_MIDDLE:
        return "male"
    if middle & FEMALE_ONLY_MIDDLE:
        return "female"
    return None
