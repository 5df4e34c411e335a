"""Shaobao: the application package (factory, models, services, integrations)."""
