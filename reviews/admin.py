# Review models and their admin arrive with the annual review issue.
