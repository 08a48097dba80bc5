"""Scenarios: which personas (Locust user classes in locustfile.py) take part."""

from __future__ import annotations

PERSONAS = ("BrowsingShopper", "BuyingShopper", "NewCustomer", "CatalogAdmin")

SCENARIOS: dict[str, tuple[str, ...]] = {
    "mixed": PERSONAS,  # each persona with its own weight
    "browse": ("BrowsingShopper",),
    "checkout": ("BuyingShopper",),
    "signup": ("NewCustomer",),
    "admin": ("CatalogAdmin",),
}


def personas(scenario: str) -> tuple[str, ...]:
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r} (known: {', '.join(SCENARIOS)})")
    return SCENARIOS[scenario]
