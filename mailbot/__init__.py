"""mailbot: a correspondence assistant for written customer support."""

__version__ = "0.1.0"
