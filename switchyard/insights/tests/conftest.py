from switchyard.automation.tests.conftest import fake_sentry  # noqa: F401
