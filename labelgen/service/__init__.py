"""The HTTP service: Settings → a FastAPI app (`app.create_app`): the API, health checks, the designer page."""
