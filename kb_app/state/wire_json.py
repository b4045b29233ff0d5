"""The JSON of what the websocket sends: orjson, with Reflex's own encoder behind it.

Under load a tenth of the server's time per overview view went to encoding the
deltas with the standard library's encoder (py-spy, ``make bench``): one page of
50 rows is about 17 kB of JSON. orjson writes the same text several times faster.
Everything orjson would write differently goes through Reflex's serializers as
before (dataclasses such as the router data, dates and times, via
``default``), and whatever orjson refuses (a lone surrogate, an integer past 64
bits) is encoded by Reflex's encoder exactly as without this module.

Installed on the Socket.IO server's packet class when the app starts
(``install_lifespan``); incoming messages are read as before.
"""

from __future__ import annotations

import contextlib
from types import SimpleNamespace
from typing import Any

import orjson
from reflex_base.utils import format as rx_format
from reflex_base.utils import serializers

_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
)


def dumps(obj: Any, **kwargs: Any) -> str:
    """What Reflex's encoder writes with compact separators (as Socket.IO asks)."""
    try:
        return orjson.dumps(obj, default=serializers.serialize, option=_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError included
        return rx_format.json_dumps(obj, **kwargs)


def install(sio: Any) -> None:
    """Encode this Socket.IO server's packets with ``dumps``."""
    packet_class = sio.packet_class
    previous = packet_class.json
    if getattr(previous, "kb_wire_json", False):
        return
    packet_class.json = SimpleNamespace(dumps=dumps, loads=previous.loads, kb_wire_json=True)


@contextlib.asynccontextmanager
async def install_lifespan(app: Any):
    """A lifespan task: by the time the app starts, Reflex has made its server."""
    if getattr(app, "sio", None) is not None:
        install(app.sio)
    yield
