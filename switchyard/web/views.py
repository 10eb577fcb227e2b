"""Server-rendered pages (reads only)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from switchyard.products.selectors import product_tree


@login_required
def home(request):
    """The caller's product tree, with the ways into the API docs and the admin."""
    organization = request.user.organization
    tree = product_tree(organization=organization) if organization else []
    return render(request, "web/home.html", {"tree": tree, "organization": organization})
