"""Adaptive Cards of the decision log views (`@Narrative decisions …`): not yet built."""
