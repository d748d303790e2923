"""Settings, the database URL and secret references: what the process is configured with."""
