"""The programmes app's models: the programme and its populations (core), and the
accompaniment of agents (check-ins, barriers, resources, mentoring)."""

from programmes.models.accompaniment import *  # noqa: F403
from programmes.models.core import *  # noqa: F403
from programmes.models.core import describe_target_value  # noqa: F401
from programmes.models.personal import *  # noqa: F403
from programmes.models.reminders import *  # noqa: F403
