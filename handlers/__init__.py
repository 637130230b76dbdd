"""The Slack edge: Bolt listeners and Block Kit rendering. Thin: ack, parse, call the core, render."""
