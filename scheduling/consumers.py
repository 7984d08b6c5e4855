"""Live calendar updates (CAL-8): open calendars hear which doctor's day changed and fetch it again themselves, and
where to fetch a notice about one of his appointments (scheduling.live.calendar_notice), so nothing about patients
travels over the socket."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from scheduling.live import CALENDAR_GROUP
from scheduling.selectors import calendar_employees_for_user

# Close codes in the application range: the browser falls back to polling, which then answers 403 or a login page.
CLOSE_FORBIDDEN = 4403


class CalendarConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.visible = await database_sync_to_async(_visible_employees)(self.scope.get("user"))
        if self.visible is False:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.channel_layer.group_add(CALENDAR_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(CALENDAR_GROUP, self.channel_name)

    async def calendar_changed(self, event):
        if self.visible is None or event["employee_id"] in self.visible:
            await self.send_json(
                {"type": "calendar.changed", "employee_id": event["employee_id"], "date": event["date"]}
            )

    async def calendar_notice(self, event):
        if self.visible is None or event["employee_id"] in self.visible:
            await self.send_json({key: event[key] for key in ("type", "employee_id", "appointment_id", "url")})


def _visible_employees(user) -> set[int] | bool | None:
    """False when the user may not listen; None when he sees every doctor, even ones added later; else their ids."""
    if user is None or not user.is_authenticated or not user.is_verified():
        return False
    if not user.has_perm("scheduling.view_appointment"):
        return False
    if user.has_perm("scheduling.view_all_calendars"):
        return None
    return set(calendar_employees_for_user(user).values_list("pk", flat=True))
