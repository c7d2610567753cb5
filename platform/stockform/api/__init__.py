"""The REST API v1: routes, OpenAPI, tokens, idempotency (Flask only in its route modules)."""
