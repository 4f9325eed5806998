"""Webhook events of 2.16+/Pro 2.32 against real processes: signalSent (REST and browser-protocol signals),
mediaNodeStatusChanged, nodeCrashed and nodeRecovered; none of them enters the 2.11 CDR file."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.support.participants import join, participants, rest
from tests.support.procs import MinikmsProcess
from tests.support.server import ServerProcess
from tests.support.webhook_receiver import WebhookReceiver

EVENTS = ["signalSent", "mediaNodeStatusChanged", "nodeCrashed", "nodeRecovered", "participantJoined"]
FAST_KMS = {"kms.ping-interval": 0.5, "kms.ping-timeout": 1.0, "kms.reconnect-window": 2.0}


def named(hook: WebhookReceiver, name: str, count: int = 1) -> list[dict[str, Any]]:
    found = hook.wait_for(lambda events: len([e for e in events if e["event"] == name]) >= count)
    return [e for e in found if e["event"] == name]


async def test_webhook_events_232(tmp_path: Path) -> None:
    kms = [MinikmsProcess(log_path=tmp_path / f"kms{i}.log").start() for i in range(2)]
    cdr = tmp_path / "cdr"
    try:
        with WebhookReceiver() as hook:
            settings = {
                "kms.uris": [k.uri for k in kms],
                "openvidu.pro.cluster": True,
                "openvidu.pro.cluster.load.strategy": "sessions",
                "openvidu.webhook": True,
                "openvidu.webhook.endpoint": hook.url,
                "openvidu.webhook.events": EVENTS,
                "openvidu.cdr": True,
                "openvidu.cdr.path": str(cdr),
                **FAST_KMS,
            }
            with ServerProcess(settings) as server:
                async with participants() as clients:
                    a = await join(server)
                    clients.append(a)
                    joined = named(hook, "participantJoined")[0]
                    session_id = joined["sessionId"]
                    connection_id = joined["participantId"]
                    sent = rest(
                        server,
                        "POST",
                        "/openvidu/api/signal",
                        {"session": session_id, "data": "d", "type": "t"},
                    )
                    assert sent.status_code == 200
                    rest_signal = named(hook, "signalSent")[0]
                    assert rest_signal == {
                        "sessionId": session_id,
                        "timestamp": rest_signal["timestamp"],
                        "from": None,
                        "to": [connection_id],
                        "type": "t",
                        "data": "d",
                        "event": "signalSent",
                    }
                    await a.call("sendMessage", {"message": '{"data":"hi","type":"signal:chat","to":[]}'})
                    browser_signal = named(hook, "signalSent", 2)[1]
                    assert (browser_signal["from"], browser_signal["to"], browser_signal["type"]) == (
                        connection_id,
                        [connection_id],
                        "signal:chat",
                    )

                    nodes = rest(server, "GET", "/openvidu/api/media-nodes?sessions=true").json()["content"]
                    idle = next(n for n in nodes if not n["sessions"])
                    busy = next(n for n in nodes if n["sessions"])
                    assert (
                        rest(
                            server,
                            "PATCH",
                            f"/openvidu/api/media-nodes/{busy['id']}",
                            {"status": "waiting-idle-to-terminate"},
                        ).status_code
                        == 200
                    )
                    changed = named(hook, "mediaNodeStatusChanged")[0]
                    assert changed == {
                        "timestamp": changed["timestamp"],
                        "id": busy["id"],
                        "environmentId": None,
                        "ip": busy["ip"],
                        "uri": busy["uri"],
                        "newStatus": "waiting-idle-to-terminate",
                        "oldStatus": "running",
                        "event": "mediaNodeStatusChanged",
                    }
                    rest(server, "PATCH", f"/openvidu/api/media-nodes/{busy['id']}", {"status": "running"})

                    # the busy node dies: nodeCrashed (with its session) after the reconnect window
                    crashed_kms = next(k for k in kms if k.uri == busy["uri"])
                    killed_at = int(time.time() * 1000)
                    crashed_kms.kill()
                    crash = named(hook, "nodeCrashed")[0]
                    assert (crash["id"], crash["nodeRole"], crash["sessionIds"]) == (
                        busy["id"],
                        "medianode",
                        [session_id],
                    )
                    assert crash["timeOfDisconnection"] >= killed_at - 1000
                    assert crash["timestamp"] >= crash["timeOfDisconnection"]
                    crashed_kms.start()
                    recovered = named(hook, "nodeRecovered")[0]
                    assert (recovered["id"], recovered["uri"], recovered["nodeRole"]) == (
                        busy["id"],
                        busy["uri"],
                        "medianode",
                    )
                    assert idle["id"] != busy["id"]
        lines = "".join(p.read_text() for p in cdr.glob("*.log"))
        assert "participantJoined" in lines
        assert not any(name in lines for name in ("signalSent", "mediaNodeStatusChanged", "nodeCrashed"))
    finally:
        for proc in kms:
            proc.stop()


def test_the_settings_know_every_232_event() -> None:
    from server.core.events_232 import EVENT_NAMES_232
    from server.settings.model import PROPERTIES_BY_NAME, WEBHOOK_EVENT_NAMES_232

    assert EVENT_NAMES_232 == WEBHOOK_EVENT_NAMES_232
    kind = PROPERTIES_BY_NAME["openvidu.webhook.events"].kind
    assert kind.parse(list(EVENT_NAMES_232)) == EVENT_NAMES_232
