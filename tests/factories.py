"""Test data made through the real models: users, a ledger with page images, draft records."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw

from models.entities import DraftRecord, FieldValue, Ledger, Original, Page, User
from ocr_service.auth import create_token, create_user
from ocr_service.config import Settings
from ocr_service.db import session_scope
from ocr_service.storage import get_storage


@dataclass
class Book:
    ledger_id: str
    record_ids: list[str]


def add_user(
    settings: Settings, name: str, role: str = "clerk", commune: str | None = None
) -> tuple[int, str]:
    with session_scope(settings) as session:
        user = create_user(session, name, role, commune=commune, password=f"{name}-mat-khau")
        return user.id, create_token(session, user)


def page_jpeg(text: str) -> bytes:
    im = Image.new("L", (827, 1169), 250)
    d = ImageDraw.Draw(im)
    d.text((60, 60), text, fill=0)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def add_book(
    settings: Settings,
    *,
    records: int = 3,
    commune: str | None = "Xã An Nhơn",
    register: str = "khai-sinh",
    year: int = 2019,
) -> Book:
    """A processed book of one record per page, as extraction would have left it."""
    storage = get_storage(settings)
    with session_scope(settings) as session:
        sha = f"{abs(hash((commune, register, records, year))):064d}"[:64]
        session.merge(Original(sha256=sha, size=1, media_type="application/pdf", storage_key="x"))
        ledger = Ledger(
            original_sha256=sha,
            register=register,
            commune=commune,
            book=f"01/{year}",
            year=year,
            status="done",
            pages_total=records,
        )
        session.add(ledger)
        session.flush()
        ids = []
        for i in range(1, records + 1):
            key = f"pages/{ledger.id}/{i:05d}.jpg"
            storage.put_bytes(key, page_jpeg(f"trang {i}"))
            session.add(
                Page(
                    ledger_id=ledger.id,
                    index=i,
                    state="done",
                    width=827,
                    height=1169,
                    image_key=key,
                    image_source="embedded",
                )
            )
            record = DraftRecord(
                ledger_id=ledger.id, source_key=f"p{i}", page=i, pages=[i], seq=i * 1000
            )
            values = {
                "so": (f"{i:02d}/{year}", 0.95),
                "quyenSo": (f"01/{year}", 0.5),
                "ngayDangKy": (f"0{i}.02.{year}", 0.9),
                "nksHoTen": (f"Nguyễn Văn Thử {i}", 0.62),
                "nksGioiTinh": ("Nam", 0.97),
                "nksNgaySinh": (f"1{i}.01.{year}", 0.88),
                "nksDanToc": ("Kinh", 0.99),
                "nksQuocTich": ("Việt Nam", 0.99),
            }
            for n, (code, (value, conf)) in enumerate(values.items()):
                record.fields.append(
                    FieldValue(
                        code=code,
                        value=value,
                        raw=value,
                        confidence=conf,
                        band="sure" if conf > 0.9 else "check",
                        bbox=[60, 100 + 40 * n, 500, 130 + 40 * n],
                        page=i,
                        source="ocr",
                        issues=[],
                        candidates=[],
                    )
                )
            session.add(record)
            session.flush()
            ids.append(record.id)
        return Book(ledger.id, ids)


def user_id(settings: Settings, name: str) -> int:
    from sqlalchemy import select

    with session_scope(settings) as session:
        uid = session.scalar(select(User.id).where(User.username == name))
        assert uid is not None
        return uid
