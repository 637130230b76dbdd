"""The playground: all of Narrative in a browser, on the real core, with no chat platform."""
