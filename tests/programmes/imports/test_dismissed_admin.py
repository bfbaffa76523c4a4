"""Staff see the participants a programme dismissed from its matching queue, and may put one
back by deleting the decision; they do not invent decisions."""

from django.urls import reverse

from programmes.models import DismissedParticipant


def test_staff_list_and_delete_the_dismissed_participants(admin_client, cast):
    dismissed = DismissedParticipant.objects.create(
        programme=cast.programme, participant_key="name:stagiaire|camille", by=cast.ambassador
    )
    changelist = reverse("admin:programmes_dismissedparticipant_changelist")
    page = admin_client.get(changelist, {"q": "stagiaire"})
    assert page.status_code == 200
    assert "name:stagiaire|camille" in page.content.decode()
    assert admin_client.get(reverse("admin:programmes_dismissedparticipant_add")).status_code == 403

    delete = reverse("admin:programmes_dismissedparticipant_delete", args=[dismissed.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert not DismissedParticipant.objects.exists()
