"""The HTTP edge: app factory, error mapping, OpenAPI, middleware, dependencies, conditional requests."""
