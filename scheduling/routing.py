from django.urls import path

from scheduling.consumers import CalendarConsumer

websocket_urlpatterns = [path("ws/kalendarz/", CalendarConsumer.as_asgi())]
