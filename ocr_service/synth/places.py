"""Real (pre-2025, 63-province) administrative units for birthplaces, residences and authorities."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Ward:
    """One commune-level unit with its district and province (names with unit words)."""

    ward: str
    district: str
    province: str
    ward_type: str

    def lower(self, name: str) -> str:
        """'Huyện Đạ Tẻh' -> 'huyện Đạ Tẻh': unit words are written lower-case inside addresses."""
        for unit in ("Thành phố", "Thị trấn", "Thị xã", "Phường", "Huyện", "Quận", "Tỉnh", "Xã"):
            if name.startswith(unit + " "):
                return unit.lower() + name[len(unit) :]
        return name

    def address(self) -> str:
        return f"{self.lower(self.ward)}, {self.lower(self.district)}, {self.lower(self.province)}"

    def short_address(self) -> str:
        return f"{self.lower(self.ward)}, {self.lower(self.district)}"


@lru_cache(maxsize=1)
def load_wards() -> tuple[Ward, ...]:
    """All legacy wards of vietnamadminunits, sorted so draws are reproducible."""
    from vietnamadminunits.database.main import get_data

    rows = get_data(
        fields=["province", "district", "ward", "wardType", "wardCode"], table="admin_units_legacy"
    )
    wards = [
        Ward(r["ward"], r["district"], r["province"], r["wardType"] or "")
        for r in sorted(rows, key=lambda r: (r["wardCode"] or "", r["ward"] or ""))
        if r["ward"] and r["district"] and r["province"]
    ]
    return tuple(wards)


def pick_commune(rng: random.Random) -> Ward:
    """A rural commune (xã) or a small-town ward for the registering authority."""
    wards = load_wards()
    while True:
        w = rng.choice(wards)
        if w.ward_type in ("Xã", "Phường", "Thị trấn") and (
            w.ward_type == "Xã" or rng.random() < 0.3
        ):
            return w


@lru_cache(maxsize=256)
def neighbour_wards(home: Ward) -> tuple[Ward, ...]:
    """Wards of the same district (people mostly live and are born near the registry)."""
    return tuple(
        w for w in load_wards() if w.district == home.district and w.province == home.province
    )


@lru_cache(maxsize=256)
def province_wards(home: Ward) -> tuple[Ward, ...]:
    return tuple(w for w in load_wards() if w.province == home.province)


HAMLET_WORDS: tuple[str, ...] = ("Thôn", "Xóm", "Ấp", "Tổ", "Khu phố", "Bản")


def hamlet(rng: random.Random, ward: Ward) -> str:
    """A hamlet / residential-group prefix that suits the region."""
    south = any(
        p in ward.province
        for p in ("Cần Thơ", "Bến Tre", "Long An", "Tiền Giang", "An Giang", "Kiên Giang",
                  "Cà Mau", "Bạc Liêu", "Sóc Trăng", "Vĩnh Long", "Trà Vinh", "Đồng Tháp",
                  "Hậu Giang", "Tây Ninh", "Bình Dương", "Đồng Nai", "Bình Phước", "Hồ Chí Minh")
    )  # fmt: skip
    if ward.ward_type == "Phường":
        word = rng.choice(("Tổ", "Khu phố"))
    elif south:
        word = "Ấp"
    else:
        word = rng.choice(("Thôn", "Xóm", "Thôn"))
    return f"{word} {rng.randint(1, 12)}"
