"""transport_safe: what the websocket's UTF-8 and an XML export can carry."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from kb_app.domain.report import transport_safe


def test_removes_what_cannot_be_carried_and_keeps_the_rest():
    assert transport_safe("a\ud800b\udfffc\ufffe\uffffd\x00e\x1bf") == "abcdef"
    assert transport_safe("\U0001fffe\U0010ffff\ufdd0x") == "x"
    text = "Räksmörgås\tpå\nrasten\r\n 😀 <b>&amp;</b>"
    assert transport_safe(text) == text


@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF)))
def test_the_result_encodes_and_parses_as_xml(value):
    clean = transport_safe(value)
    clean.encode("utf-8")  # no lone surrogate
    json.loads(json.dumps(clean, ensure_ascii=False))
    ET.fromstring(f"<t>{clean.replace('&', '&amp;').replace('<', '&lt;')}</t>")
    assert transport_safe(clean) == clean
