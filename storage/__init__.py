"""Persistence: SQLModel tables, the engine, Alembic migrations and keyword-only query functions.

Every query function takes a `session` and the id (`team_id`) of the workspace it acts for (a
Slack team, a Teams tenant, a playground): one workspace never sees another's rows.
"""
