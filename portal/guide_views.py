"""What the portal tells anybody, logged in or not, as the clinic's site would link it: the patients' instructions for
videoconsultations (portal.guide) and the Regulamin Portalu Pacjenta (portal.terms)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal import guide
from portal.sessions import portal_public
from portal.terms import terms_get


@portal_public
@require_GET
def videoporady(request):
    return render(request, "portal/guide.html", {"blocks": guide.guide_blocks(guide.video_poradnie())})


@portal_public
@require_GET
def videoporady_pdf(request):
    response = HttpResponse(guide.guide_pdf(guide.guide_blocks(guide.video_poradnie())), content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="videoporady-instrukcja.pdf"'
    return response


@portal_public
@require_GET
def regulamin(request):
    return render(request, "portal/terms.html", {"terms": terms_get()})
