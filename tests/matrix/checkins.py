"""URL x role expectations of the checkins pages, merged into tests/test_url_matrix.py."""

# name -> (kwargs builder, expected status per role); see tests/test_url_matrix.py
APP_MATRIX = {}
# (name, kwargs builder) of objects outside every non-staff role's scope: 404 expected
IDOR_MATRIX = []
