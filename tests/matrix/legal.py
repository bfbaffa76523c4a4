"""URL x role expectations of the legal pages, merged into tests/test_url_matrix.py."""

from tests.matrix.roles import ROLES

# The pages a State service must publish: everyone, logged in or not.
PUBLIC = dict.fromkeys(ROLES, 200)

# name -> (kwargs builder, expected status per role); see tests/test_url_matrix.py
APP_MATRIX = {
    "legal:accessibility": (lambda c: {}, PUBLIC),
    "legal:legal_notice": (lambda c: {}, PUBLIC),
    "legal:sitemap": (lambda c: {}, PUBLIC),
}
IDOR_MATRIX = []
