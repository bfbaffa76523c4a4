"""URL x role expectations of an agent's own data pages, merged into tests/test_url_matrix.py."""

from tests.matrix.roles import ROLES


def _expected(status, anonymous=302, **overrides):
    expected = dict.fromkeys(ROLES, status)
    expected["anonymous"] = anonymous
    expected.update(overrides)
    return expected


# Only users with an agent have data of their own (manager, agent, outsider); the owners,
# the ambassadors and staff have no agent: 404.
OWN_AGENT_ONLY = _expected(
    200,
    owner=404,
    ambassador=404,
    staff=404,
    other_owner=404,
    other_ambassador=404,
    single_ambassador=404,
)

# name -> (kwargs builder, expected status per role); see tests/test_url_matrix.py
APP_MATRIX = {
    "programmes:my_data": (lambda c: {}, OWN_AGENT_ONLY),
    "programmes:my_data_file": (lambda c: {}, OWN_AGENT_ONLY),
    "programmes:my_data_workbook": (lambda c: {}, OWN_AGENT_ONLY),
    "programmes:my_data_print": (lambda c: {}, OWN_AGENT_ONLY),
    # The data-protection page (the footer's « Données personnelles »): everyone, logged in
    # or not.
    "programmes:data_protection": (lambda c: {}, _expected(200, anonymous=200)),
}
# The pages take no id: whose data is shown is the requesting user's, never a parameter.
IDOR_MATRIX = []
