"""The issue-tracking REST contract: customers raise and follow; staff triage, assign, resolve, reopen.

Paths, field names and response shapes are what the existing web front end speaks: keep them.
"""

from switchyard.support.api.customers import (
    ClientIssueCommentApi,
    ClientIssueDetailApi,
    ClientIssueRaiseApi,
    IsCustomer,
)
from switchyard.support.api.issues import IssueViewSet
from switchyard.support.api.organizations import OrganizationDetailApi

__all__ = [
    "ClientIssueCommentApi",
    "ClientIssueDetailApi",
    "ClientIssueRaiseApi",
    "IsCustomer",
    "IssueViewSet",
    "OrganizationDetailApi",
]
