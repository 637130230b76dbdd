"""Block Kit builders: pure functions from core results to Slack messages and views."""
