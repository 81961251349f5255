"""The unit registry: the synthetic history, the checks on bad input, loading into the warehouse."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg
import pytest
from welfare.config import REFERENCE_DIR
from welfare.reference.synthetic import build_registry
from welfare.registry import COLUMNS, RegistryError, load_registry, parse_registry, read_registry

SHIPPED_REGISTRY = REFERENCE_DIR / "registry_ha_tinh.csv"

HEADER = ",".join(COLUMNS)
PROVINCE = "LDLD_HT,Liên đoàn Lao động tỉnh Hà Tĩnh,TINH,,,,,2000-01-01,,"
UPPER = "U1,Liên đoàn Lao động huyện A,CAP_TREN,LDLD_HT,,,,2015-01-01,2025-06-30,"


def registry_text(*rows: str) -> str:
    return "\n".join([HEADER, PROVINCE, UPPER, *rows]) + "\n"


def test_shipped_registry_is_the_generated_one() -> None:
    """The CSV in the package is exactly what the deterministic generator makes."""
    assert SHIPPED_REGISTRY.read_text(encoding="utf-8") == build_registry().to_csv()


def test_history_before_and_after_the_reorganisation() -> None:
    registry = read_registry(SHIPPED_REGISTRY)
    before, after = date(2025, 6, 30), date(2025, 7, 1)
    uppers_before = registry.active(before, "CAP_TREN")
    uppers_after = registry.active(after, "CAP_TREN")
    assert len(uppers_before) == 19
    assert sum(1 for u in uppers_before if u.ma_don_vi.startswith("LDLD_")) == 13
    assert {u.ma_don_vi for u in uppers_after} == {"CUM_TT", "CUM_BAC", "CUM_TAY", "CUM_NAM", "CD_KKT"}
    grassroots_before = registry.active(before, "CDCS")
    grassroots_after = registry.active(after, "CDCS")
    assert 1400 <= len(grassroots_before) <= 1600
    assert 450 <= len(grassroots_after) <= 500
    assert any(u.loai_hinh == "HCSN" for u in grassroots_before)
    assert not any(u.loai_hinh == "HCSN" for u in grassroots_after)
    # A unit that moved: a district federation before, a cluster after.
    moved = next(
        code
        for code in registry.codes()
        if (b := registry.as_of(before, code))
        and (a := registry.as_of(after, code))
        and b.ma_cap_tren != a.ma_cap_tren
        and b.cap == "CDCS"
    )
    assert registry.as_of(before, moved).ma_cap_tren.startswith(("LDLD_", "CD_"))  # type: ignore[union-attr]
    assert registry.as_of(after, moved).ma_cap_tren.startswith("CUM_")  # type: ignore[union-attr]
    merged = [u for u in registry.intervals if u.sap_nhap_vao]
    assert merged and all(registry.as_of(after, u.sap_nhap_vao) for u in merged)  # type: ignore[arg-type]
    founded_later = [u for u in registry.intervals if u.cap == "CDCS" and u.hieu_luc_tu > after]
    assert founded_later


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (["C1,CĐ A,CDCS,U1,HTX,,,2015-01-01,2020-12-31,", "C1,CĐ A,CDCS,U1,HTX,,,2020-06-01,,"], "overlapping"),
        (["C1,CĐ A,CDCS,NOPE,HTX,,,2015-01-01,,"], "unknown parent NOPE"),
        (["C1,CĐ A,CDCS,U1,HTX,,,2015-01-01,,"], "is not active for all of that time"),
        (["X1,CĐ X,CAP_TREN,X2,,,,2015-01-01,,", "X2,CĐ Y,CAP_TREN,X1,,,,2015-01-01,,"], "cycle"),
        (["C1,CĐ A,CDCS,U1,HTX,,,2015-13-01,,"], "not an ISO date"),
        (["C1,CĐ A,CDCS,U1,HTX,,,2020-01-01,2019-01-01,"], "ends"),
        (["C1,CĐ A,CDCS,C2,HTX,,,2015-01-01,2020-01-01,", "C2,CĐ B,CDCS,U1,HTX,,,2015-01-01,2020-01-01,"], "level"),
        (["C1,CĐ A,CDCS,U1,BANK,,,2015-01-01,2020-01-01,"], "loai_hinh"),
        (["C1,CĐ A,CDCS,U1,HTX,,,2015-01-01,2020-01-01,NOPE"], "merged into unknown unit"),
    ],
)
def test_bad_registries_are_refused_with_the_reason(rows: list[str], expected: str) -> None:
    with pytest.raises(RegistryError) as caught:
        parse_registry(registry_text(*rows))
    assert expected in str(caught.value)
    assert "nothing was loaded" in str(caught.value)


def test_wrong_header_names_the_columns() -> None:
    with pytest.raises(RegistryError, match="missing column\\(s\\) sap_nhap_vao"):
        parse_registry(HEADER.replace(",sap_nhap_vao", "") + "\n")


def test_a_good_small_registry_parses() -> None:
    registry = parse_registry(registry_text("C1,CĐ A,CDCS,U1,HTX,xã A,,2015-01-01,2025-06-30,"))
    assert registry.as_of(date(2025, 6, 30), "C1") is not None
    assert registry.as_of(date(2025, 7, 1), "C1") is None


def test_load_is_idempotent_and_keeps_versions(warehouse_url: str, tmp_path: Path) -> None:
    with psycopg.connect(warehouse_url) as conn:
        first = load_registry(conn, SHIPPED_REGISTRY)
        again = load_registry(conn, SHIPPED_REGISTRY)
        assert not first.already_loaded and again.already_loaded and again.load_id == first.load_id
        count = conn.execute("select count(*) from registry.units").fetchone()[0]  # type: ignore[index]
        assert count == first.rows == len(read_registry(SHIPPED_REGISTRY).intervals)
        changed = tmp_path / "registry.csv"
        changed.write_text(
            SHIPPED_REGISTRY.read_text(encoding="utf-8").replace(
                "Công đoàn cụm Trung tâm", "Công đoàn cụm Trung tâm tỉnh"
            ),
            encoding="utf-8",
        )
        second = load_registry(conn, changed)
        assert second.load_id > first.load_id
        names = conn.execute("select ten_don_vi from registry.units where ma_don_vi = 'CUM_TT'").fetchall()
        assert names == [("Công đoàn cụm Trung tâm tỉnh",)]
        versions = conn.execute("select count(distinct load_id) from registry.unit_versions").fetchone()[0]  # type: ignore[index]
        assert versions == 2


def test_a_bad_file_loads_nothing(warehouse_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(registry_text("C1,CĐ A,CDCS,NOPE,HTX,,,2015-01-01,,"), encoding="utf-8")
    with psycopg.connect(warehouse_url) as conn:
        with pytest.raises(RegistryError):
            load_registry(conn, bad)
        exists = conn.execute("select to_regclass('registry.loads')").fetchone()[0]  # type: ignore[index]
        if exists:
            assert conn.execute("select count(*) from registry.loads").fetchone()[0] == 0  # type: ignore[index]
