"""Narrative: run meetings on written narratives and keep decisions honest.

`bot` is the Slack-free core: configuration, the domain (meetings, polls, decisions,
reviews, reflections), timers and the command line. It never imports slack_bolt or slack_sdk.
"""

__version__ = "0.1.0"
