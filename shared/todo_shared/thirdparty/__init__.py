"""Third-party private names, one module per library, each pinned to the version it was written against."""
