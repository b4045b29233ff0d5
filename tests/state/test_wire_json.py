"""The websocket's JSON (state/wire_json.py) writes exactly what Reflex's encoder
writes, for what the app sends and for what orjson cannot encode."""

from __future__ import annotations

import dataclasses
import enum
import json
from datetime import UTC, date, datetime
from types import SimpleNamespace

import socketio
from reflex.istate.data import URLData
from reflex_base.utils import format as rx_format

from kb_app.domain import overview as ov
from kb_app.state import wire_json

COMPACT = (",", ":")


class Colour(enum.Enum):
    RED = "röd"


@dataclasses.dataclass
class Point:
    x: int
    label: str


def reflex_text(obj) -> str:
    return rx_format.json_dumps(obj, separators=COMPACT)


def test_a_delta_is_written_as_reflex_writes_it():
    row = ov.case_row(
        case_id=7,
        reference="KB-2026-0007",
        reported_at=datetime(2026, 3, 4, 8, 30, tzinfo=UTC),
        unit="Björkskolan F–6",
        class_name="4A",
        grade="4",
        kinds=1,
        step="received",
        responsible="Åsa Öberg",
        due_at=datetime(2026, 3, 9, tzinfo=UTC),
        closed_at=None,
        staff_involved=False,
        now=datetime(2026, 3, 10, tzinfo=UTC),
    )
    url = URLData.from_router_data(
        {"pathname": "/oversikt", "asPath": "/oversikt?steg=received&sida=2", "headers": {}}
    )
    delta = {
        "reflex___state____state.kb_app___state___cases____overview_state": {
            "rows_rx_state_": [row] * 50,
            "sort_hrefs_rx_state_": {"enhet": "/oversikt?sortera=enhet"},
            "f_late_rx_state_": False,
            "active_filters_rx_state_": 2,
            "more_open_rx_state_": None,
            "ratio": 0.25,
            "text": 'citat " och \\ och \n ny rad, \u2028, \x00 och emoji 🙂',
        },
        "reflex___state____state": {"rx_router_url_rx_state_": url, "is_hydrated_rx_state_": True},
        "other": {
            "when": datetime(2026, 12, 3, 14, 5, 6, tzinfo=UTC),
            "day": date(2026, 12, 3),
            "step": ov.SortKey.UNIT,
            "colour": Colour.RED,
            "point": Point(1, "ett"),
            "pair": ("a", 1),
            "ints": {1: "ett", 2: "två"},
        },
    }
    packet = ["event", {"delta": delta, "events": [], "final": None}]
    assert wire_json.dumps(packet, separators=COMPACT) == reflex_text(packet)


def test_what_orjson_refuses_goes_through_reflexs_encoder():
    for odd in ({"text": "ensam \ud800 surrogat"}, {"n": 2**70}, [{1.5: "flyttal som nyckel"}]):
        assert wire_json.dumps(odd, separators=COMPACT) == reflex_text(odd), odd


def test_installed_on_the_servers_packets_and_restored_after():
    original = socketio.packet.Packet.json
    try:
        sio = socketio.AsyncServer(
            async_mode="asgi", json=SimpleNamespace(dumps=json.dumps, loads=json.loads)
        )
        wire_json.install(sio)
        wire_json.install(sio)  # once only
        assert sio.packet_class.json.dumps is wire_json.dumps
        assert sio.packet_class.json.loads is json.loads  # incoming as before
        encoded = sio.packet_class(socketio.packet.EVENT, data=["event", {"å": [1, None]}]).encode()
        assert encoded == '2["event",{"å":[1,null]}]'
    finally:
        socketio.packet.Packet.json = original
