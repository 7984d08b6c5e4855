"""URLs of the OSOZ sandbox: the contract's API under /api/v1, the Provider Service under /provider (its insurer half
under /provider/ubezpieczenia, its televisit half under /provider/telewizyta), the patient site under /lbk, the
widgets under /widget, the notifications outbox under /powiadomienia, the fault simulation under /awarie, the OSOZ
operator's location codes under /operator and the insurers' call centres under /ubezpieczyciel."""

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.defaults import page_not_found

from osoz_sandbox import api, callcentre_views, insurer_views, televisit_views, views

api_v1 = [
    path("api/v1/openapi.yaml", api.contract, name="api_contract"),
    path("api/v1/connect/token-exchange", api.connect_token_exchange, name="api_token_exchange"),
    path("api/v1/oauth/token", api.oauth_token, name="api_oauth_token"),
    path("api/v1/entity", api.entity_detail, name="api_entity"),
    path("api/v1/integration", api.integration, name="api_integration"),
    path("api/v1/publication", api.publication_summary, name="api_publication"),
    path("api/v1/locations/<str:unit_number>", api.location, name="api_location"),
    path("api/v1/doctors/<str:doctor_id>", api.doctor, name="api_doctor"),
    path("api/v1/doctors/<str:doctor_id>/slots", api.doctor_slots, name="api_doctor_slots"),
    path("api/v1/schedules/<str:schedule_id>", api.schedule, name="api_schedule"),
    path("api/v1/booking-events", api.booking_events, name="api_booking_events"),
    path("api/v1/bookings", api.bookings_list, name="api_bookings"),
    path("api/v1/bookings/<str:booking_id>/accept", api.booking_accept, name="api_booking_accept"),
    path("api/v1/bookings/<str:booking_id>/reject", api.booking_reject, name="api_booking_reject"),
    path("api/v1/bookings/<str:booking_id>/cancel", api.booking_cancel, name="api_booking_cancel"),
    path("api/v1/bookings/<str:booking_id>/move", api.booking_move, name="api_booking_move"),
    path("api/v1/bookings/<str:booking_id>/referrals", api.booking_referrals, name="api_booking_referrals"),
    path("api/v1/payers", api.payers_list, name="api_payers"),
    path("api/v1/price-lists", api.price_lists_put, name="api_price_lists"),
    path("api/v1/referrals/<str:referral_id>", api.referral, name="api_referral"),
    path("api/v1/televisit/access", api.televisit_access, name="api_televisit_access"),
]

urlpatterns = [
    *api_v1,
    path("", views.home, name="home"),
    path("provider/connect", views.connect, name="connect"),
    path("provider/connect/potwierdzenie", views.connect_confirm, name="connect_confirm"),
    path("provider/", views.provider_home, name="provider_home"),
    path("provider/logowanie/", views.LoginView.as_view(), name="provider_login"),
    path("provider/wylogowanie/", auth_views.LogoutView.as_view(), name="provider_logout"),
    path("provider/ustawienia/", views.provider_settings, name="provider_settings"),
    path("provider/terminarz/", televisit_views.provider_timetable, name="provider_timetable"),
    path("provider/widgety/", views.provider_widgets, name="provider_widgets"),
    path("provider/telewizyta/", televisit_views.televisit_info, name="televisit_info"),
    path("provider/telewizyta/wlacz/", televisit_views.televisit_demo, name="televisit_demo"),
    path("provider/telewizyta/kup/", televisit_views.televisit_order, name="televisit_order"),
    path("provider/telewizyta/dane-placowki/", televisit_views.televisit_terms, name="televisit_terms"),
    path(
        "provider/telewizyta/regulamin/pobierz/",
        televisit_views.televisit_terms_download,
        name="televisit_terms_download",
    ),
    path("provider/widgety/<int:pk>/kod/", views.provider_widget_code, name="provider_widget_code"),
    path("provider/ubezpieczenia/regulamin/", insurer_views.insurance_terms, name="insurance_terms"),
    path(
        "provider/ubezpieczenia/regulamin/akceptacja/",
        insurer_views.insurance_terms_accept,
        name="insurance_terms_accept",
    ),
    path(
        "provider/ubezpieczenia/regulamin/pobierz/",
        insurer_views.insurance_terms_download,
        name="insurance_terms_download",
    ),
    path("provider/ubezpieczenia/ubezpieczyciele/", insurer_views.insurer_list, name="insurer_list"),
    path("provider/ubezpieczenia/ubezpieczyciele/<str:osoz_id>/", insurer_views.insurer_detail, name="insurer_detail"),
    path(
        "provider/ubezpieczenia/ubezpieczyciele/<str:osoz_id>/regulaminy/",
        insurer_views.insurer_terms,
        name="insurer_terms",
    ),
    path(
        "provider/ubezpieczenia/ubezpieczyciele/<str:osoz_id>/regulaminy/pobierz/",
        insurer_views.insurer_terms_download,
        name="insurer_terms_download",
    ),
    path(
        "provider/ubezpieczenia/ubezpieczyciele/<str:osoz_id>/wspolpraca/",
        insurer_views.insurer_cooperate,
        name="insurer_cooperate",
    ),
    path(
        "provider/ubezpieczenia/ubezpieczyciele/<str:osoz_id>/zakonczenie/",
        insurer_views.insurer_end,
        name="insurer_end",
    ),
    path(
        "provider/ubezpieczenia/ubezpieczyciele/<str:osoz_id>/rejestracja-online/",
        insurer_views.insurer_online_registration,
        name="insurer_online_registration",
    ),
    path(
        "provider/ubezpieczenia/ubezpieczyciele/<str:osoz_id>/identyfikatory-lokalizacji/",
        insurer_views.insurer_location_codes,
        name="insurer_location_codes",
    ),
    path("lbk/", views.lbk_search, name="lbk_search"),
    path("lbk/placowka/<str:entity_id>/", views.lbk_clinic, name="lbk_clinic"),
    path(
        "lbk/placowka/<str:entity_id>/regulamin-telewizyty/",
        televisit_views.lbk_televisit_terms,
        name="lbk_televisit_terms",
    ),
    path("lbk/lekarz/<str:entity_id>/<str:doctor_id>/", views.lbk_doctor, name="lbk_doctor"),
    path(
        "lbk/rezerwacja/<str:entity_id>/<str:doctor_id>/<str:schedule_id>/<str:moment>/",
        views.lbk_booking_new,
        name="lbk_booking_new",
    ),
    path("lbk/rezerwacja/sprawdz-poczte/", views.lbk_booking_check_email, name="lbk_booking_check_email"),
    path("lbk/rezerwacja/potwierdzenie/<str:token>/", views.lbk_booking_confirm, name="lbk_booking_confirm"),
    path("lbk/rezerwacja/<str:token>/", views.lbk_booking, name="lbk_booking"),
    path("powiadomienia/", views.notifications, name="notifications"),
    path("powiadomienia.json", views.notifications_json, name="notifications_json"),
    path("awarie/", views.fault_settings, name="fault_settings"),
    path("awarie.json", views.fault_settings_json, name="fault_settings_json"),
    path(
        "operator/identyfikatory-lokalizacji/",
        insurer_views.operator_location_codes,
        name="operator_location_codes",
    ),
    path(
        "ubezpieczyciel/<str:osoz_id>/rejestracja/",
        callcentre_views.insurer_callcentre,
        name="insurer_callcentre",
    ),
    path("ubezpieczyciel/<str:osoz_id>/rezerwacje/", callcentre_views.insurer_bookings, name="insurer_bookings"),
    path("widget/<int:pk>/", views.widget, name="widget"),
]


def handler404(request: HttpRequest, exception) -> HttpResponse:
    """API clients get problem+json, browsers the HTML page."""
    if request.path.startswith("/api/"):
        return api.not_found(request)
    return page_not_found(request, exception, template_name="osoz_sandbox/404.html")
