from django.contrib.auth import views as auth_views
from django.urls import include, path

from switchyard.web import (
    connections,
    home,
    inbox,
    insights,
    portal,
    products,
    sentry,
    sync_health,
    tickets,
)

web_patterns = [
    path("portal/", portal.my_issues, name="portal"),
    path("portal/raise/", portal.raise_issue, name="portal_raise"),
    path("portal/raise/choices/", portal.raise_choices, name="portal_raise_choices"),
    path("portal/issues/<int:pk>/", portal.issue_page, name="portal_issue"),
    path("portal/email/", portal.email_settings, name="portal_email"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/bulk/", inbox.bulk, name="inbox_bulk"),
    path("inbox/issues/<int:pk>/", inbox.issue_page, name="inbox_issue"),
    path("products/", products.tree, name="products"),
    path("products/<int:pk>/", products.product_page, name="product"),
    path("insights/", insights.dashboard, name="insights"),
    path("insights/teams/<int:pk>/", insights.team_page, name="insights_team"),
    path(
        "insights/products/<int:pk>/charts/",
        insights.product_charts,
        name="insights_product_charts",
    ),
    path("sentry/", sentry.issue_list, name="sentry_issues"),
    path("sentry/selection/", sentry.act_on_selection, name="sentry_act"),
    path("tickets/", tickets.ticket_list, name="tickets"),
    path("sync/", sync_health.health, name="sync_health"),
    path("sync/deliveries/", sync_health.deliveries, name="sync_deliveries"),
    path("sync/connections/new/", connections.add_connection, name="sync_connection_add"),
    path(
        "sync/connections/<int:pk>/<str:action>/",
        sync_health.connection_action,
        name="sync_connection",
    ),
    path("sync/outbox/<int:pk>/<str:action>/", sync_health.outbox_action, name="sync_outbox"),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include((web_patterns, "web"))),
]
