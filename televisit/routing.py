from django.urls import path

from televisit.consumers import TelevisitConsumer

websocket_urlpatterns = [path("ws/telewizyta/<int:televisit_id>/", TelevisitConsumer.as_asgi())]
