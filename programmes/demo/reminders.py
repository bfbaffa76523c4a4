"""The reminders the demo's programme already sent: on each reminder day of the calendar
(Tuesdays of the last four weeks), those the real selection (`due_reminders`, the
programme's rules, quiet periods included) names on that day, written as sent that morning;
the latest one written failed, as a mail server sometimes refuses. Idempotent: a
reminder is keyed on its agent, kind and day (the model's unique period)."""

from programmes.demo.dates import DemoCalendar, at
from programmes.enums import OutgoingStatus
from programmes.models import Programme, Reminder
from programmes.reminders.selection import due_reminders, reminder_programmes
from programmes.reminders.services import day_period

FAILURE = "Le serveur de messagerie a refusé le message (boîte du destinataire pleine)."


def build_reminders(*, programme: Programme, calendar: DemoCalendar) -> int:
    """Write the reminders sent on the calendar's reminder days; return how many."""
    created = []
    for day in calendar.reminder_days:
        period = day_period(day)
        if Reminder.objects.filter(programme=programme, period=period).exists():
            continue  # that day's round is written (and may have been handled since)
        running = [p for p in reminder_programmes(day) if p.pk == programme.pk]
        due = due_reminders(day=day, programmes=running)
        rows = Reminder.objects.bulk_create(
            Reminder(
                agent_id=item.agent_id,
                programme_id=item.programme_id,
                population_id=item.population_id,
                kind=item.kind,
                period=period,
                email=item.email,
                status=OutgoingStatus.SENT,
                attempts=1,
            )
            for item in due
        )
        moment = at(day, 9, 15)
        Reminder.objects.filter(pk__in=[row.pk for row in rows]).update(
            created_at=moment, sent_at=moment
        )
        created += rows
    if created:
        Reminder.objects.filter(pk=created[-1].pk).update(
            status=OutgoingStatus.FAILED, sent_at=None, last_error=FAILURE
        )
    return len(created)
