"""The portal's booking pages: "Moje wizyty", "Umów nową wizytę" (POR-1…POR-3) and cancelling a visit."""

from django.urls import path

from portal import booking_views

urlpatterns = [
    path("", booking_views.home, name="home"),
    path("umow/", booking_views.book, name="book"),
    path("umow/komercyjna/", booking_views.book_commercial, name="book_commercial"),
    path("umow/nfz/", booking_views.book_nfz, name="book_nfz"),
    path("umow/nfz/<int:cell_id>/", booking_views.book_referral, name="book_referral"),
    path("umow/nfz/<int:cell_id>/terminarz/", booking_views.book_nfz_timetable, name="book_nfz_timetable"),
    path("umow/termin/", booking_views.book_hold, name="book_hold"),
    path("umow/potwierdz/", booking_views.book_confirm, name="book_confirm"),
    path("umow/anuluj/", booking_views.book_release, name="book_release"),
    path("wizyty/<int:appointment_id>/odwolaj/", booking_views.visit_cancel, name="visit_cancel"),
]
