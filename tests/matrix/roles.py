"""The roles of the URL matrix (tests/test_url_matrix.py), shared by its parts.

The first seven are the fixed cast's (tests/conftest.py, `cast`); the last three come with
`matrix_cast`: the owner and an ambassador of a second programme (B) only, and an ambassador
of one population of the cast's programme that is not the cast's population.
"""

ROLES = [
    "anonymous",
    "owner",
    "ambassador",
    "manager",
    "agent",
    "outsider",
    "staff",
    "other_owner",
    "other_ambassador",
    "single_ambassador",
]
