"""Slack: Bolt listeners, Block Kit renderers and the Web API side of the port."""
