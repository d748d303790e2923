"""Accounts and tokens: passwords, JWTs (ours and Better Auth's), revocation, login throttling."""
