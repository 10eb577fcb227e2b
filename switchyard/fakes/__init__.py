"""Fake Sentry, Jira Cloud and Linear servers, faithful to the official specs."""
