"""A NUL or another control character in a page's form gives the page again with the refusal beside the
field, never a 500; in a page's query parameters it never gives a 500 either."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from test_pages import Site, page
from test_pages_more import forms_of, post_form, refused

if TYPE_CHECKING:
    from collections.abc import Iterator

NUL = "\x00"


@pytest.fixture
def site(database_url: str) -> Iterator[Site]:
    s = Site(database_url)
    try:
        yield s
    finally:
        s.close()


def test_a_control_character_in_a_form_field_is_refused_beside_it(site: Site) -> None:
    officer = site.signed_in("officer")
    url = f"/pages/doi-tuong/{site.anh.id}"
    grant, revoke = f"{url}/che-do", f"{url}/thu-hoi-the"
    html = page(officer, url)
    good = {
        "scheme": "NCC_WAR_INVALID",
        "injury_rate": "61",
        "decision_no": "45/QĐ-UBND",
        "decision_date": "15/09/2024",
        "issuer": "UBND tỉnh Đồng Nai",
        "reason": "giám định y khoa",
    }
    before = site.recorded()
    for field, value in (
        ("issuer", f"UBND{NUL}"),
        ("decision_no", "45\x1b/QĐ"),
        ("reason", f"giám{NUL}định"),
    ):
        answer = post_form(officer, html, grant, **{**good, field: value})
        shown = refused(answer, 422, f"grant-{field}", "Không được chứa ký tự điều khiển")
        assert 'id="bieu-mau-che-do" open' in shown
    number = forms_of(html)[revoke]["card_number"]
    refused(
        post_form(officer, html, revoke, card_number=number, reason=f"chuyển{NUL}đi"),
        422,
        "revoke-reason",
        "Không được chứa ký tự điều khiển (U+0000)",
    )
    answer = post_form(officer, html, grant, **{**good, "form_key": f"k{NUL}1", "issuer": f"U{NUL}"})
    refused(answer, 422, "grant-issuer", "ký tự điều khiển")
    assert site.recorded() == before


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/pages/doi-tuong", ["q", "commune_code", "scheme", "status", "cursor"]),
        ("/pages/nhat-ky", ["actor", "date_from", "date_to", "type", "commune_code", "sau"]),
        ("/pages/bao-cao", ["to", "commune_code"]),
        ("/pages/danh-sach-chi-tra", ["month", "commune_code", "channel"]),
    ],
)
def test_a_nul_in_a_page_query_parameter_never_gives_a_500(site: Site, path: str, names: list[str]) -> None:
    inspector = site.signed_in("inspector")
    for name in names:
        answer = inspector.get(path, params={name: f"a{NUL}b"})
        assert answer.status_code < 500, (path, name, answer.text[:2000])
