"""PDF/A-2b for archived documents (the case file in an archive package).

reportlab draws the PDF with its fonts embedded (Bitstream Vera subsets); this
adds what PDF/A-2b asks for besides: XMP metadata that says the part and
conformance and repeats the document information, and an output intent with an
sRGB ICC profile (made by Pillow's littleCMS, so no profile file is shipped) for
the DeviceRGB colours reportlab uses. Done with pikepdf (qpdf).

Not checked here by a PDF/A validator (veraPDF is not installable from the
package registries this project uses): the tests check the markers and the
embedded fonts.
"""

from __future__ import annotations

import io
from datetime import datetime
from functools import lru_cache

import pikepdf
from PIL import ImageCms

PART, CONFORMANCE = "2", "B"


@lru_cache(maxsize=1)
def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _pdf_date(dt: datetime) -> str:
    return "D:" + dt.strftime("%Y%m%d%H%M%S") + "Z"


def to_pdfa(data: bytes, *, title: str, created: datetime) -> bytes:
    """``data`` (a reportlab PDF) as PDF/A-2b. ``created`` (UTC) stands in both
    the document information and the XMP, as PDF/A requires them to agree."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        stamp = _pdf_date(created)
        info = pdf.docinfo
        info[pikepdf.Name.Title] = title
        info[pikepdf.Name.CreationDate] = stamp
        info[pikepdf.Name.ModDate] = stamp
        info[pikepdf.Name.Producer] = "Värna (reportlab, pikepdf)"
        for key in (pikepdf.Name.Trapped,):
            if key in info:
                del info[key]
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta.load_from_docinfo(info, delete_missing=True)
            meta["pdfaid:part"] = PART
            meta["pdfaid:conformance"] = CONFORMANCE
        icc = pikepdf.Stream(pdf, srgb_profile())
        icc[pikepdf.Name.N] = 3
        intent = pikepdf.Dictionary(
            Type=pikepdf.Name.OutputIntent,
            S=pikepdf.Name.GTS_PDFA1,
            OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
            Info=pikepdf.String("sRGB IEC61966-2.1"),
            DestOutputProfile=icc,
        )
        pdf.Root[pikepdf.Name.OutputIntents] = pikepdf.Array([pdf.make_indirect(intent)])
        out = io.BytesIO()
        pdf.save(out, fix_metadata_version=False, deterministic_id=True)
        return out.getvalue()
