"""stockform: a low-code inventory platform that keeps physical and sellable stock apart."""

__version__ = "0.1.0"
