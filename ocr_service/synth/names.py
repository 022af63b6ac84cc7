"""Vietnamese personal-name pools for synthetic register books."""

from __future__ import annotations

import random

# Surnames with rough population weights (Nguyễn ~38 %, Trần ~11 %, Lê ~9.5 % …).
SURNAMES: tuple[tuple[str, int], ...] = (
    ("Nguyễn", 380),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 70),
    ("Hoàng", 51),
    ("Huỳnh", 20),
    ("Phan", 45),
    ("Vũ", 39),
    ("Võ", 20),
    ("Đặng", 21),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Lý", 5),
    ("Đinh", 8),
    ("Trịnh", 6),
    ("Đoàn", 5),
    ("Lương", 4),
    ("Mai", 4),
    ("Cao", 4),
    ("Lâm", 3),
    ("Tạ", 3),
    ("Quách", 2),
    ("Triệu", 2),
    ("Kiều", 2),
    ("Thái", 2),
    ("Hà", 3),
    ("Chu", 2),
    ("Lưu", 3),
    ("Tô", 2),
    ("Văn", 1),
    ("Khổng", 1),
    ("Âu", 1),
    ("Ứng", 1),
)

MALE_MIDDLE: tuple[str, ...] = (
    "Văn", "Văn", "Văn", "Đức", "Minh", "Quốc", "Hữu", "Công", "Thành", "Xuân",
    "Quang", "Ngọc", "Anh", "Gia", "Hoàng", "Trọng", "Tiến", "Đình", "Bá", "Thanh",
    "Mạnh", "Hải", "Duy", "Khắc", "Tuấn", "Đăng",
)  # fmt: skip

FEMALE_MIDDLE: tuple[str, ...] = (
    "Thị", "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Phương", "Bảo",
    "Khánh", "Mỹ", "Hồng", "Kim", "Diệu", "Quỳnh", "Hoài", "Tuyết", "Ánh", "Thùy",
    "Hải", "Như", "Yến", "Lan",
)  # fmt: skip

MALE_GIVEN: tuple[str, ...] = (
    "Anh", "Bảo", "Bình", "Cường", "Chiến", "Dũng", "Duy", "Đạt", "Định", "Đông",
    "Đức", "Giang", "Hải", "Hào", "Hiếu", "Hiển", "Hòa", "Hoàng", "Huy", "Hùng",
    "Hưng", "Khang", "Khánh", "Khoa", "Kiên", "Lâm", "Lộc", "Lợi", "Long", "Luân",
    "Mạnh", "Minh", "Nam", "Nghĩa", "Nguyên", "Nhân", "Phát", "Phong", "Phúc", "Phước",
    "Quân", "Quang", "Quý", "Sơn", "Tài", "Tâm", "Tấn", "Thắng", "Thành", "Thịnh",
    "Thông", "Tiến", "Toàn", "Trí", "Trọng", "Trung", "Trường", "Tuấn", "Tùng", "Việt",
    "Vinh", "Vũ", "Vương", "Ước", "Ngữ", "Khải", "Lượng", "Thưởng", "Tưởng", "Kỳ",
)  # fmt: skip

FEMALE_GIVEN: tuple[str, ...] = (
    "An", "Anh", "Ánh", "Bích", "Châu", "Chi", "Diệp", "Dung", "Duyên", "Giang",
    "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hồng", "Huệ", "Hương", "Hường", "Huyền",
    "Khuê", "Lan", "Liên", "Linh", "Loan", "Ly", "Mai", "My", "Nga", "Ngân",
    "Ngọc", "Nguyệt", "Nhi", "Nhung", "Oanh", "Phương", "Quyên", "Quỳnh", "Sương", "Tâm",
    "Thảo", "Thoa", "Thu", "Thủy", "Thư", "Thương", "Trang", "Trâm", "Trinh", "Tuyết",
    "Uyên", "Vân", "Vy", "Xuân", "Yến", "Ẩn", "Ngữ", "Hoà", "Thuỷ", "Ỷ",
)  # fmt: skip


def pick_surname(rng: random.Random) -> str:
    """A surname drawn with realistic frequency."""
    names = [s for s, _ in SURNAMES]
    weights = [w for _, w in SURNAMES]
    return rng.choices(names, weights=weights, k=1)[0]


def make_name(rng: random.Random, male: bool, surname: str | None = None) -> str:
    """A full name 'Họ chữ-đệm tên' in Title Case; sometimes with two middle names."""
    sur = surname or pick_surname(rng)
    middle_pool = MALE_MIDDLE if male else FEMALE_MIDDLE
    given_pool = MALE_GIVEN if male else FEMALE_GIVEN
    middles = [rng.choice(middle_pool)]
    if rng.random() < 0.2:
        second = rng.choice(middle_pool)
        if second != middles[0]:
            middles.append(second)
    given = rng.choice([g for g in given_pool if g not in middles])
    return " ".join([sur, *middles, given])
