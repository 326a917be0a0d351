"""Communes and provinces of the 2025 reform — xã/phường và tỉnh/thành (34 tỉnh, 3.321 xã).

Codes come from the ``vietnam-provinces`` package, never from a hand-made list. A deployment serves
one province (``LEDGER_PROVINCE``) or, unset, the whole country.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from vietnam_provinces import Province, ProvinceCode, Ward, WardCode

from domain.errors import InvalidInput
from domain.values import parse_commune_code
from ledger.config import load_settings


@dataclass(frozen=True)
class Commune:
    """A commune-level unit (xã, phường, đặc khu) and its province."""

    code: str
    name: str
    province_code: str
    province_name: str


def _province_code(value: int) -> str:
    return f"{value:02d}"


@cache
def _communes() -> dict[str, Commune]:
    provinces = {int(p.code): p.name for p in Province.iter_all()}
    return {
        f"{int(w.code):05d}": Commune(
            code=f"{int(w.code):05d}",
            name=w.name,
            province_code=_province_code(int(w.province_code)),
            province_name=provinces[int(w.province_code)],
        )
        for w in Ward.iter_all()
    }


def configured_province() -> str | None:
    """The province this deployment serves (``LEDGER_PROVINCE``), or ``None`` for the whole country."""
    raw = load_settings().province
    if not raw:
        return None
    return parse_province(raw, "LEDGER_PROVINCE")


def parse_province(value: object, field: str = "province_code") -> str:
    """A province code of the 2025 reform (e.g. ``75`` for Đồng Nai)."""
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    if not text.isdigit():
        raise InvalidInput(field, f"must be a province code of the 2025 reform, got {value!r}")
    try:
        Province.from_code(ProvinceCode(int(text)))
    except ValueError:
        raise InvalidInput(
            field, f"{value!r} is not one of the 34 province codes of the 2025 reform"
        ) from None
    return _province_code(int(text))


def resolve_commune(value: object, field: str = "commune_code", province: str | None = None) -> Commune:
    """The commune for a 5-digit code, or :class:`InvalidInput` naming the field.

    With ``province`` set (the deployment's province), a commune of another province is refused.
    """
    code = parse_commune_code(value, field)
    commune = _communes().get(code)
    if commune is None:
        raise InvalidInput(field, f"{code} is not a commune code of the 2025 reform (vietnam-provinces)")
    if province is not None and commune.province_code != province:
        raise InvalidInput(field, f"commune {code} ({commune.name}) is not in province {province}")
    return commune


def communes_of(province: str) -> list[Commune]:
    """Every commune of a province, by code."""
    return sorted((c for c in _communes().values() if c.province_code == province), key=lambda c: c.code)


def all_commune_codes(province: str | None = None) -> list[str]:
    """The codes of every commune of ``province`` (``None``: of the country), in order."""
    return sorted(c.code for c in _communes().values() if province is None or c.province_code == province)


def commune_name(code: str) -> str:
    """The commune's name, or the code itself if unknown."""
    commune = _communes().get(code)
    return commune.name if commune else code


__all__ = [
    "Commune",
    "WardCode",
    "all_commune_codes",
    "commune_name",
    "communes_of",
    "configured_province",
    "resolve_commune",
]
