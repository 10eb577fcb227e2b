"""Switchyard: a product-centric hub for Sentry issues, tracker tickets and customer issues."""
