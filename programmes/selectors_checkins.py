"""Reads of the checkins feature."""


def checkins_for_my_page(agent, rows):
    """Add to each row of the agent's page (one per current enrolment) what it shows of
    this feature. Filled in by the feature's implementation."""
