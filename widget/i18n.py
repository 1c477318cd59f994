"""Widget texts and date formats in English and German (a small table instead of Babel)."""

from __future__ import annotations

from datetime import date, time
from typing import Literal

from rental.handover import CLOSED_REASON

Locale = Literal["en", "de"]
LOCALES: tuple[Locale, ...] = ("en", "de")

MONTHS: dict[Locale, tuple[str, ...]] = {
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
    "de": (
        "Januar", "Februar", "März", "April", "Mai", "Juni",
        "Juli", "August", "September", "Oktober", "November", "Dezember",
    ),
}  # fmt: skip
# Monday first, as date.weekday() counts.
WEEKDAYS: dict[Locale, tuple[str, ...]] = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
}
WEEKDAYS_SHORT: dict[Locale, tuple[str, ...]] = {
    "en": ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"),
    "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
}

STRINGS: dict[Locale, dict[str, str]] = {
    "en": {
        "availability": "Availability",
        "prev_month": "Previous month",
        "next_month": "Next month",
        "available": "available",
        "partial": "partly booked",
        "unavailable": "booked",
        "closed": "closed",
        "past": "past",
        "selected": "your dates",
        "units_free": "{free} of {total} free",
        "legend": "Legend",
        "timezone": "Dates and times are in {tz} time.",
        "help": "Choose a pickup day, then a return day. Arrow keys move, Enter selects, Escape clears.",
        "pickup_chosen": "Pickup {date}. Now choose the return day.",
        "range_chosen": "{pickup} to {return} selected.",
        "cleared": "Selection cleared.",
        "choose_dates": "Please choose a pickup day and a return day in the calendar.",
        "return_before_pickup": "The return day must not be before the pickup day.",
        "in_past": "{date} is in the past.",
        "too_long": "A request can cover at most {max} days; please call us for longer rentals.",
        "too_far": "{date} is too far ahead to request online; please call us.",
        "crosses_closed": "We are closed on {date}. Please choose dates around it.",
        "crosses_unavailable": "{date} is fully booked. Please choose dates around it.",
        "no_pickup_that_day": "We are closed on {date}, so there is no pickup that day.",
        "no_return_that_day": "We are closed on {date}, so there is no return that day.",
        "pickup_too_soon": "{date} is too soon for a pickup. Please choose a later day.",
        "too_short": "A rental of this product lasts at least {min} days.",
        "no_unit_free": "No unit is free from your pickup until {date}. Please choose an earlier return day.",
        "pickup_unavailable": "{date} is fully booked at opening time. Please choose another pickup day.",
        "rate_limited": "Too many requests. Please wait a moment and try again.",
        "failed": "Something went wrong. Please try again.",
        "your_request": "Your request",
        "pickup": "Pickup",
        "return": "Return",
        "at_time": "{date}, from {time}",
        "by_time": "{date}, by {time}",
        "name": "Name",
        "email": "E-mail",
        "phone": "Phone (optional)",
        "submit": "Request booking",
        "name_required": "Please enter your name.",
        "name_invalid": "Please enter your name on one line, with at most 200 characters.",
        "email_invalid": "Please enter a valid e-mail address.",
        "phone_too_long": "Please enter a phone number on one line, with at most 40 characters.",
        "expired": "This form has expired. Please send it again.",
        "conflict": "Sorry, these dates are no longer available. Please choose other dates.",
        "thanks_title": "Thank you!",
        "thanks": "We have received your booking request #{id} for {product}. "
        "{company} will get back to you to confirm it.",
        "new_request": "Make another request",
        "held_until": "We hold the dates for you until {until}.",
        "check_mail": "Please confirm your request with the link we have just e-mailed you; "
        "we hold the dates from then on.",
        "token_used": "This form has already been sent. Please start again from the calendar.",
        "too_many_requests": "You have sent as many requests as we accept in one day. Please call us.",
        "missing_title": "Calendar not available",
        "missing": "This availability calendar cannot be shown. Please contact the rental company directly.",
        "closed_reason": "Closed",
    },
    "de": {
        "availability": "Verfügbarkeit",
        "prev_month": "Vorheriger Monat",
        "next_month": "Nächster Monat",
        "available": "verfügbar",
        "partial": "teilweise belegt",
        "unavailable": "ausgebucht",
        "closed": "geschlossen",
        "past": "vergangen",
        "selected": "Ihr Zeitraum",
        "units_free": "{free} von {total} frei",
        "legend": "Legende",
        "timezone": "Daten und Uhrzeiten in der Zeitzone {tz}.",
        "help": "Wählen Sie einen Abholtag, dann einen Rückgabetag. Pfeiltasten bewegen, Enter wählt, Escape löscht.",
        "pickup_chosen": "Abholung {date}. Wählen Sie jetzt den Rückgabetag.",
        "range_chosen": "{pickup} bis {return} gewählt.",
        "cleared": "Auswahl gelöscht.",
        "choose_dates": "Bitte wählen Sie im Kalender einen Abhol- und einen Rückgabetag.",
        "return_before_pickup": "Der Rückgabetag darf nicht vor dem Abholtag liegen.",
        "in_past": "{date} liegt in der Vergangenheit.",
        "too_long": "Eine Anfrage umfasst höchstens {max} Tage; für längere Mieten rufen Sie uns bitte an.",
        "too_far": "{date} liegt zu weit in der Zukunft für eine Online-Anfrage; bitte rufen Sie uns an.",
        "crosses_closed": "Am {date} haben wir geschlossen. Bitte wählen Sie Tage davor oder danach.",
        "crosses_unavailable": "Der {date} ist ausgebucht. Bitte wählen Sie Tage davor oder danach.",
        "no_pickup_that_day": "Am {date} haben wir geschlossen, dann ist keine Abholung möglich.",
        "no_return_that_day": "Am {date} haben wir geschlossen, dann ist keine Rückgabe möglich.",
        "pickup_too_soon": "Der {date} ist für eine Abholung zu früh. Bitte wählen Sie einen späteren Tag.",
        "too_short": "Eine Miete dieses Produkts dauert mindestens {min} Tage.",
        "no_unit_free": "Ab Ihrer Abholung ist bis {date} kein Gerät frei. Bitte wählen Sie eine frühere Rückgabe.",
        "pickup_unavailable": "Am {date} ist zur Öffnungszeit alles belegt. Bitte wählen Sie einen anderen Abholtag.",
        "rate_limited": "Zu viele Anfragen. Bitte warten Sie einen Moment und versuchen Sie es erneut.",
        "failed": "Etwas ist schiefgegangen. Bitte versuchen Sie es erneut.",
        "your_request": "Ihre Anfrage",
        "pickup": "Abholung",
        "return": "Rückgabe",
        "at_time": "{date}, ab {time}",
        "by_time": "{date}, bis {time}",
        "name": "Name",
        "email": "E-Mail",
        "phone": "Telefon (optional)",
        "submit": "Buchung anfragen",
        "name_required": "Bitte geben Sie Ihren Namen ein.",
        "name_invalid": "Bitte geben Sie Ihren Namen in einer Zeile mit höchstens 200 Zeichen ein.",
        "email_invalid": "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
        "phone_too_long": "Bitte geben Sie die Telefonnummer in einer Zeile mit höchstens 40 Zeichen ein.",
        "expired": "Dieses Formular ist abgelaufen. Bitte senden Sie es erneut.",
        "conflict": "Leider sind diese Tage nicht mehr frei. Bitte wählen Sie andere Tage.",
        "thanks_title": "Vielen Dank!",
        "thanks": "Wir haben Ihre Buchungsanfrage Nr. {id} für {product} erhalten. "
        "{company} meldet sich bei Ihnen, um sie zu bestätigen.",
        "new_request": "Weitere Anfrage stellen",
        "held_until": "Wir halten die Tage bis {until} für Sie frei.",
        "check_mail": "Bitte bestätigen Sie Ihre Anfrage über den Link, den wir Ihnen gerade gesendet haben; "
        "ab dann halten wir die Tage für Sie frei.",
        "token_used": "Dieses Formular wurde bereits gesendet. Bitte beginnen Sie erneut im Kalender.",
        "too_many_requests": "Sie haben heute so viele Anfragen gesendet, wie wir annehmen. Bitte rufen Sie uns an.",
        "missing_title": "Kalender nicht verfügbar",
        "missing": "Dieser Verfügbarkeitskalender kann nicht angezeigt werden. "
        "Bitte wenden Sie sich direkt an den Vermieter.",
        "closed_reason": "Geschlossen",
    },
}

# What the widget script needs to announce selections without a round trip.
SCRIPT_KEYS = (
    "pickup_chosen",
    "range_chosen",
    "cleared",
    "in_past",
    "crosses_closed",
    "crosses_unavailable",
    "rate_limited",
    "failed",
)


def locale_or_default(value: str | None) -> Locale:
    value = (value or "").strip().lower()[:2]
    return "de" if value == "de" else "en"


def text(locale: Locale, key: str, **values: object) -> str:
    return STRINGS[locale][key].format(**values)


def closure_reason(locale: Locale, reason: str | None) -> str | None:
    """The company's own words for a closure as they are; our default word in the widget's language."""
    return text(locale, "closed_reason") if reason == CLOSED_REASON else reason


def month_title(locale: Locale, year: int, month: int) -> str:
    return f"{MONTHS[locale][month - 1]} {year}"


def long_date(locale: Locale, day: date) -> str:
    weekday, month = WEEKDAYS[locale][day.weekday()], MONTHS[locale][day.month - 1]
    if locale == "de":
        return f"{weekday}, {day.day}. {month} {day.year}"
    return f"{weekday}, {month} {day.day}, {day.year}"


def clock(locale: Locale, value: time) -> str:
    if locale == "de":
        return f"{value:%H:%M} Uhr"
    hour = value.hour % 12 or 12
    return f"{hour}:{value:%M} {'AM' if value.hour < 12 else 'PM'}"


def weekday_headers(locale: Locale, first_day: int) -> list[tuple[str, str]]:
    """(short, long) names in display order; first_day 0 = Sunday, 1 = Monday."""
    order = [6, 0, 1, 2, 3, 4, 5] if first_day == 0 else [0, 1, 2, 3, 4, 5, 6]
    return [(WEEKDAYS_SHORT[locale][i], WEEKDAYS[locale][i]) for i in order]
