from django.urls import path

from payers import views, visit_views

app_name = "payers"

# A page that both adds and edits has one name: reversed without a key it adds, with one it edits.
urlpatterns = [
    path("cennik/", views.group_list, name="group_list"),
    path("cennik/grupy/nowa/", views.group_edit, name="group_edit"),
    path("cennik/grupy/<int:pk>/", views.group_detail, name="group_detail"),
    path("cennik/grupy/<int:pk>/edycja/", views.group_edit, name="group_edit"),
    path("cennik/grupy/<int:pk>/usun/", views.group_remove, name="group_remove"),
    path("cennik/grupy/<int:pk>/ceny/", views.group_prices, name="group_prices"),
    path("cennik/grupy/<int:group_pk>/uslugi/nowa/", views.service_edit, name="service_edit"),
    path("cennik/uslugi/<int:pk>/", views.service_edit, name="service_edit"),
    path("cennik/uslugi/<int:pk>/usun/", views.service_remove, name="service_remove"),
    path("platnicy/", views.payer_list, name="payer_list"),
    path("platnicy/nowy/", views.payer_edit, name="payer_edit"),
    path("platnicy/<int:pk>/", views.payer_edit, name="payer_edit"),
    path("platnicy/<int:pk>/usun/", views.payer_remove, name="payer_remove"),
    path("platnicy/<int:pk>/cennik/", views.payer_pricelist, name="payer_pricelist"),
    path("platnicy/<int:pk>/cennik/eksport/", views.payer_export, name="payer_export"),
    path("platnicy/<int:pk>/cennik/grupy/<int:group_pk>/", views.payer_group, name="payer_group"),
    path("platnicy/<int:pk>/cennik/uslugi/<int:service_pk>/", views.payer_service, name="payer_service"),
    path(
        "platnicy/<int:pk>/cennik/uslugi/<int:service_pk>/nadpisz/",
        views.payer_service_override,
        name="payer_service_override",
    ),
    path(
        "platnicy/<int:pk>/cennik/uslugi/<int:service_pk>/cofnij/", views.payer_service_undo, name="payer_service_undo"
    ),
    # The visit's sections (payers.sections): Usługi prywatne and Skierowania.
    path("wizyty/<int:pk>/uslugi/", visit_views.visit_service_add, name="visit_service_add"),
    path("wizyty/<int:pk>/uslugi/<int:service_pk>/", visit_views.visit_service_edit, name="visit_service_edit"),
    path(
        "wizyty/<int:pk>/uslugi/<int:service_pk>/usun/", visit_views.visit_service_remove, name="visit_service_remove"
    ),
    path("wizyty/<int:pk>/dokumenty-sprzedazy/", visit_views.sales_document_issue, name="sales_document_issue"),
    path(
        "wizyty/<int:pk>/dokumenty-sprzedazy/<int:document_pk>.pdf", visit_views.sales_document, name="sales_document"
    ),
    path("wizyty/<int:pk>/skierowanie/", visit_views.referral_sent_save, name="referral_sent_save"),
]
