"""Real files for the attachment tests: made with Pillow, reportlab and zipfile."""

from __future__ import annotations

import io
import zipfile


def jpeg_with_gps(orientation: int = 1) -> bytes:
    """A JPEG photo whose EXIF names a camera and a GPS position."""
    from PIL import Image

    im = Image.new("RGB", (64, 48), (200, 40, 40))
    for x in range(64):
        im.putpixel((x, x % 48), (10, 200, 10))
    exif = Image.Exif()
    exif[0x010F] = "KameraTillverkare"  # Make
    exif[0x0112] = orientation
    gps = {1: "N", 2: (59.0, 19.0, 48.0), 3: "E", 4: (18.0, 4.0, 12.0)}
    exif[0x8825] = gps
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif.tobytes(), quality=90, comment=b"hemlig kommentar")
    return buf.getvalue()


def png_with_text() -> bytes:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    im = Image.new("RGB", (20, 10), (0, 0, 255))
    info = PngInfo()
    info.add_text("Author", "Elevens namn")
    info.add_text("Location", "59.3293,18.0686")
    buf = io.BytesIO()
    im.save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, "Skärmdump av meddelanden")
    c.showPage()
    c.save()
    return buf.getvalue()


def docx(*, macro: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"><Override PartName="/word/document.xml" ContentType="'
            'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"'
            "/></Types>",
        )
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr(
            "word/document.xml",
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            "<w:body><w:p><w:r><w:t>Anteckning från samtal</w:t></w:r></w:p></w:body>"
            "</w:document>",
        )
        if macro:
            z.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0macro")
    return buf.getvalue()


def windows_exe() -> bytes:
    """The start of a PE executable (what a renamed program looks like)."""
    header = bytearray(512)
    header[0:2] = b"MZ"
    header[0x3C:0x40] = (0x80).to_bytes(4, "little")
    header[0x80:0x84] = b"PE\x00\x00"
    header[0x84:0x86] = (0x14C).to_bytes(2, "little")
    return bytes(header) + b"This program cannot be run in DOS mode." * 4


def elf() -> bytes:
    return b"\x7fELF\x02\x01\x01" + bytes(57) + b"\x00" * 200


def jpeg_zip_polyglot() -> bytes:
    """A valid JPEG with a ZIP archive after its end (both at once)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("payload.html", "<script>alert(1)</script>")
    return jpeg_with_gps() + buf.getvalue()


def png_html_polyglot() -> bytes:
    return png_with_text() + b"<html><script>alert(1)</script></html>"


def pdf_html_polyglot() -> bytes:
    return b"%PDF-1.4\n<html><script>alert(1)</script></html>\n" + pdf()[9:]
