"""The API's routers, one per resource: labels, check, templates, health (and docs, problems)."""
