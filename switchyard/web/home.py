"""The start page: each role lands where its daily work is."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from switchyard.products.selectors import product_tree


@login_required
def home(request):
    user = request.user
    if user.is_org_staff:
        tree = product_tree(organization=user.organization)
        return render(request, "web/home.html", {"tree": tree, "organization": user.organization})
    if user.is_superuser:
        return render(request, "web/platform.html")
    return redirect("web:portal")
