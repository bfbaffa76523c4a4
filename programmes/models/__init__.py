"""The programmes app's models: the programme and its populations (core), and the
accompaniment of agents (check-ins, barriers, resources, mentoring)."""

from .accompaniment import *  # noqa: F403
from .core import *  # noqa: F403
from .core import describe_target_value  # noqa: F401
from .personal import *  # noqa: F403
from .reminders import *  # noqa: F403
