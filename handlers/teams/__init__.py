"""Microsoft Teams: the Agents SDK's Activity protocol on the one HTTP server
(`POST /api/messages`), Adaptive Card renderers, and `TeamsPlatform`, the core's port."""
