"""The template language: a YAML folder becomes a validated, immutable Template."""
