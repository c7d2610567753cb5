"""Demo data for a starter template: its SKU catalogue, a user per role, 90 days of history."""

from .loader import Demo, DemoRefused, DemoUser, holdings, load_demo

__all__ = ["Demo", "DemoRefused", "DemoUser", "holdings", "load_demo"]
