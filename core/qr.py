"""QR codes as inline SVG: the second factor's enrolment (accounts) and the patient's televisit link (televisit)."""

import qrcode
import qrcode.image.svg
from django.utils.safestring import SafeString, mark_safe


def qr_svg(text: str) -> SafeString:
    """The QR code of `text` as an SVG element; safe as markup, since qrcode draws only paths from the data's bits."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage)
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308 — no text of the input reaches the markup
