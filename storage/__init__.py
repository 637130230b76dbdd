"""Persistence: SQLModel tables, the engine, Alembic migrations and keyword-only query functions.

Every query function takes a `session` and the Slack team id (`team_id`) of the workspace it
acts for: one workspace never sees another's rows.
"""
