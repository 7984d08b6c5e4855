"""Signalling of a televisit's call (TV-5): the two browsers of one room — the medical employee and the patient —
exchange their WebRTC offer, answer and ICE candidates, the call's states and chat messages through this consumer;
the media flow between the browsers themselves. Nothing relayed is stored or logged.

The doctor is known by the staff session (both factors) and the visit's own access rule; the patient by the token of
the link, sent as the first message rather than in the URL, which servers and proxies may log. Only the doctor calls
and offers; the patient answers. One socket per side: a newer one (a reload, a second tab) replaces the older."""

import asyncio

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404

from televisit import recordings, services
from televisit.ice import ice_servers
from televisit.models import MESSAGE_MAX_LENGTH, Televisit
from televisit.selectors import televisit_appointment_for_user, televisit_for_token

DOCTOR = "doctor"
PATIENT = "patient"
# Close codes in the application range: refused (no access, or the link is no longer valid), and replaced by a newer
# socket of the same side.
CLOSE_FORBIDDEN = 4403
CLOSE_REPLACED = 4409
JOIN_SECONDS = 10
CHAT_MAX_LENGTH = MESSAGE_MAX_LENGTH
SDP_MAX_LENGTH = 100_000
# What each side may send; everything else is refused. Relayed types reach the other side as they are.
RELAYED = {
    DOCTOR: {"call", "cancel", "offer", "ice", "hangup", "state", "chat", "recording"},
    PATIENT: {"accept", "answer", "ice", "hangup", "state", "chat", "restart"},
}


def _doctor_may_conduct(user, televisit_id: int) -> bool:
    if user is None or not user.is_authenticated or not user.is_verified():
        return False
    if not user.has_perm("scheduling.view_appointment"):
        return False
    appointment_id = Televisit.objects.filter(pk=televisit_id).values_list("appointment_id", flat=True).first()
    if appointment_id is None:
        return False
    try:
        appointment = televisit_appointment_for_user(user=user, appointment_id=appointment_id)
    except (Http404, PermissionDenied):
        return False
    return appointment.can_call_televisit()


def _patient_may_join(token, televisit_id: int) -> bool:
    if not isinstance(token, str):
        return False
    televisit = televisit_for_token(token=token)
    return televisit is not None and televisit.pk == televisit_id


def _clean(message: dict) -> dict | None:
    """The message as relayed, with only the fields its type carries, or None when it is malformed."""
    kind = message.get("type")
    if kind in {"offer", "answer"}:
        sdp = message.get("sdp")
        if isinstance(sdp, str) and 0 < len(sdp) <= SDP_MAX_LENGTH:
            return {"type": kind, "sdp": sdp}
        return None
    if kind == "ice":
        candidate = message.get("candidate")
        if isinstance(candidate, dict) and isinstance(candidate.get("candidate"), str):
            line = candidate.get("sdpMLineIndex")
            return {
                "type": "ice",
                "candidate": {
                    "candidate": candidate["candidate"][:2000],
                    "sdpMid": str(candidate.get("sdpMid") or "")[:64] or None,
                    "sdpMLineIndex": line if isinstance(line, int) and 0 <= line < 64 else None,
                },
            }
        return None
    if kind == "recording":
        return {"type": "recording", "on": bool(message.get("on"))}
    if kind == "state":
        return {"type": "state", **{key: bool(message.get(key)) for key in ("camera", "microphone")}}
    if kind == "chat":
        text = message.get("text")
        if isinstance(text, str) and text.strip():
            return {"type": "chat", "text": text.strip()[:CHAT_MAX_LENGTH]}
        return None
    return {"type": kind}


class TelevisitConsumer(AsyncJsonWebsocketConsumer):
    role = None

    async def connect(self):
        self.televisit_id = self.scope["url_route"]["kwargs"]["televisit_id"]
        self.group = services.room_group(self.televisit_id)
        user = self.scope.get("user")
        await self.accept()
        if user is not None and user.is_authenticated:
            # A staff session is a doctor or nobody: a logged-in user never joins as the patient.
            if not await database_sync_to_async(_doctor_may_conduct)(user, self.televisit_id):
                await self.close(code=CLOSE_FORBIDDEN)
                return
            await self._join(DOCTOR)
        else:
            self.join_deadline = asyncio.create_task(self._close_unless_joined())

    async def _close_unless_joined(self):
        await asyncio.sleep(JOIN_SECONDS)
        if self.role is None:
            await self.close(code=CLOSE_FORBIDDEN)

    async def _join(self, role: str):
        self.role = role
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_send(
            self.group, {"type": "televisit.hello", "role": role, "sender": self.channel_name}
        )
        servers = await database_sync_to_async(ice_servers)(televisit_id=self.televisit_id)
        policy = "relay" if settings.TELEVISIT_RELAY_ONLY else "all"
        await self.send_json({"type": "welcome", "role": role, "iceServers": servers, "iceTransportPolicy": policy})

    async def disconnect(self, code):
        deadline = getattr(self, "join_deadline", None)
        if deadline is not None:
            deadline.cancel()
        if self.role is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_send(
                self.group, {"type": "televisit.bye", "role": self.role, "sender": self.channel_name}
            )

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict):
            return
        if self.role is None:
            if content.get("type") == "join" and await database_sync_to_async(_patient_may_join)(
                content.get("token"), self.televisit_id
            ):
                self.join_deadline.cancel()
                await self._join(PATIENT)
            else:
                await self.close(code=CLOSE_FORBIDDEN)
            return
        kind = content.get("type")
        if kind == "recorded" and self.role == DOCTOR:
            seconds = content.get("seconds")
            await database_sync_to_async(recordings.televisit_recording_saved)(
                televisit_id=self.televisit_id,
                seconds=seconds if isinstance(seconds, int) else 0,
                user=self.scope["user"],
            )
            return
        if kind == "connected" and self.role == DOCTOR:
            await database_sync_to_async(services.televisit_connected)(
                televisit_id=self.televisit_id, user=self.scope["user"]
            )
            return
        message = _clean(content) if kind in RELAYED[self.role] else None
        if message is None:
            await self.send_json({"type": "refused", "refused": str(kind)[:20]})
            return
        if kind == "call":
            await database_sync_to_async(services.televisit_call_start)(
                televisit_id=self.televisit_id, user=self.scope["user"]
            )
        elif kind == "hangup":
            user = self.scope["user"] if self.role == DOCTOR else None
            await database_sync_to_async(services.televisit_end)(televisit_id=self.televisit_id, user=user)
        await self.channel_layer.group_send(
            self.group, {"type": "televisit.relay", "role": self.role, "message": message}
        )

    # Group events.

    async def televisit_relay(self, event):
        if event["role"] != self.role:
            await self.send_json(event["message"])

    async def televisit_hello(self, event):
        if event["sender"] == self.channel_name:
            return
        if event["role"] == self.role:
            self.role = None  # replaced: leave quietly, without telling the other side that this side left
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.close(code=CLOSE_REPLACED)
            return
        await self.send_json({"type": "peer", "present": True})
        await self.channel_layer.send(event["sender"], {"type": "televisit.here", "role": self.role})

    async def televisit_notify(self, event):
        """What the product itself tells a room's sides (televisit.services.room_notify), never a side's word."""
        if self.role in event["roles"]:
            await self.send_json(event["message"])

    async def televisit_here(self, event):
        if event["role"] != self.role:
            await self.send_json({"type": "peer", "present": True})

    async def televisit_bye(self, event):
        if event["role"] != self.role and event["sender"] != self.channel_name:
            await self.send_json({"type": "peer", "present": False})
