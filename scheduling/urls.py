from django.urls import path

from scheduling.views import appointments, calendar, queue, schedules, settings, visit

app_name = "scheduling"

urlpatterns = [
    path("", calendar.calendar, name="calendar"),
    path("umow/", calendar.calendar_book, name="calendar_book"),
    path("umow/pacjenci/", calendar.calendar_patient_search, name="calendar_patient_search"),
    path("termin/usun/", calendar.calendar_slot_remove, name="calendar_slot_remove"),
    path("termin/<int:removed_id>/", calendar.calendar_removed, name="calendar_removed"),
    path("termin/<int:removed_id>/przywroc/", calendar.calendar_slot_restore, name="calendar_slot_restore"),
    path("umowienie/<int:appointment_id>/", calendar.calendar_appointment, name="calendar_appointment"),
    path("umowienie/<int:appointment_id>/potwierdz/", calendar.calendar_confirm, name="calendar_confirm"),
    path("umowienie/<int:appointment_id>/przesun/", calendar.calendar_move, name="calendar_move"),
    path("umowienie/<int:appointment_id>/odwolaj/", calendar.calendar_cancel, name="calendar_cancel"),
    path("umowienia/", appointments.appointment_list, name="appointment_list"),
    path("umowienia/eksport/", appointments.appointment_export, name="appointment_export"),
    path("kolejka-oczekujacych/", queue.queue, name="queue"),
    path("kolejka-oczekujacych/szukaj/", queue.queue_search, name="queue_search"),
    path("kolejka-oczekujacych/pacjenci/", queue.queue_patients, name="queue_patients"),
    path("wizyta/<int:pk>/", visit.visit, name="visit"),
    path("wizyta/<int:pk>/otworz/", visit.visit_open, name="visit_open"),
    path("wizyta/<int:pk>/zakoncz/", visit.visit_finish, name="visit_finish"),
    # Struktura > Pracownicy > Harmonogramy and Ustawienia live here too: they configure the calendar.
    path("harmonogramy/pracownik/<int:employee_pk>/", schedules.schedule_list, name="schedule_list"),
    path("harmonogramy/pracownik/<int:employee_pk>/nowy/", schedules.schedule_edit, name="schedule_edit"),
    path("harmonogramy/<int:pk>/", schedules.schedule_edit, name="schedule_edit"),
    path("harmonogramy/pracownik/<int:employee_pk>/osoz/", schedules.schedule_edit_osoz, name="schedule_edit_osoz"),
    path("harmonogramy/blok/", schedules.schedule_edit_block, name="schedule_edit_block"),
    path("ustawienia/ogolne/", settings.settings_general, name="settings_general"),
    path("ustawienia/kalendarz/", settings.settings_calendar, name="settings_calendar"),
]
