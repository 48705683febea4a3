"""Settings > Organisation: the agency's details, the logo upload and its checks, the locale."""
from io import BytesIO

import pytest
from PIL import Image

from bridge.extensions import db
from bridge.billing.entities import first_entity
from bridge.models import WorkspaceSettings
from bridge.workspace.organisation_forms import MAX_LOGO_BYTES
from tests.workspace.conftest import field_errors

DETAILS = {
    "name": "Harbour & Pine Studio", "address": "18 Customhouse Quay\nWellington",
    "tax_number": "NZ 123-456-789", "bank_details": "IBAN NL91 ABNA 0417 1643 00",
    "payment_terms": "Payment within 30 days.", "locale": "en_GB",
}


def image_bytes(kind: str = "PNG", size=(120, 40)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, (37, 99, 235)).save(buffer, kind)
    return buffer.getvalue()


def post(client, logo: bytes | None = None, filename="logo.png", **values):
    data = {**DETAILS, **values}
    if logo is not None:
        data["logo"] = (BytesIO(logo), filename)
    return client.post("/settings/organisation", data=data, content_type="multipart/form-data")


def test_the_settings_index_links_to_it(admin):
    assert 'href="/settings/organisation"' in admin.get("/settings").get_data(as_text=True)


def test_members_may_not_see_or_change_it(member):
    assert member.get("/settings/organisation").status_code == 403
    assert post(member).status_code == 403
    assert member.get("/settings/organisation/logo").status_code == 403


def test_details_logo_and_locale_are_saved(admin):
    logo = image_bytes()
    response = post(admin, logo)
    assert response.status_code == 302
    row = first_entity()
    assert (row.name, row.address, row.tax_number) == ("Harbour & Pine Studio", "18 Customhouse Quay\nWellington",
                                                       "NZ 123-456-789")
    assert (row.bank_details, row.payment_terms) == ("IBAN NL91 ABNA 0417 1643 00", "Payment within 30 days.")
    assert (row.logo, row.logo_type) == (logo, "image/png")
    assert db.session.get(WorkspaceSettings, 1).locale == "en_GB"
    page = admin.get("/settings/organisation").get_data(as_text=True)
    assert 'src="/settings/organisation/logo"' in page and "Harbour &amp; Pine Studio" in page
    served = admin.get("/settings/organisation/logo")
    assert served.data == logo and served.mimetype == "image/png"


def test_saving_without_a_file_keeps_the_logo_and_remove_drops_it(admin):
    post(admin, image_bytes("JPEG"), "logo.jpg")
    assert first_entity().logo_type == "image/jpeg"
    post(admin, name="Renamed")
    db.session.expire_all()
    assert first_entity().logo_type == "image/jpeg"
    post(admin, remove_logo="y")
    db.session.expire_all()
    row = first_entity()
    assert row.logo is None and row.logo_type is None
    assert admin.get("/settings/organisation/logo").status_code == 404


@pytest.mark.parametrize("logo, filename, message", [
    (b"x" * (MAX_LOGO_BYTES + 1), "big.png", "The logo is larger than 512 KB"),
    (b"%PDF-1.4 not an image", "logo.png", "That file is not a PNG or JPEG image."),
    (image_bytes("GIF"), "logo.gif", "That is a GIF image: upload a PNG or JPEG."),
    (image_bytes("PNG", (5000, 10)), "wide.png", "The logo is 5000 x 10 pixels"),
])
def test_a_bad_logo_is_refused_at_the_field(admin, logo, filename, message):
    response = post(admin, logo, filename)
    assert response.status_code == 422
    assert any(error.startswith(message) for error in field_errors(response)), field_errors(response)
    assert first_entity().logo is None and first_entity().name == "My agency"  # nothing saved


def test_an_unknown_locale_is_refused(admin):
    response = post(admin, locale="xx_NOPE")
    assert response.status_code == 422
    assert "Choose a language and region from the list." in field_errors(response)
