# The annual review models (ReviewCycle, Review) arrive with the review issue.
