"""The start page: each role lands where its daily work is."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render


@login_required
def home(request):
    user = request.user
    if user.is_org_staff:
        return redirect("web:products")
    if user.is_superuser:
        return render(request, "web/platform.html")
    return redirect("web:portal")
