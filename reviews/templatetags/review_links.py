"""Links to review sheets from the pages of programmes (the team, an agent), which may not
import reviews (.importlinter): their templates load this library instead. A link is given
only to a sheet the viewer may open."""

from django import template

from reviews import selectors

register = template.Library()


@register.simple_tag
def current_review_sheets(user, agents):
    """{agent id: [their sheets of the current campaign the user may open]} for `agents`
    (an agent, or a list or page of them). One query."""
    if hasattr(agents, "pk"):
        agents = [agents]
    return selectors.current_sheets(user, (agent.pk for agent in agents))


@register.filter
def sheets_of(sheets_by_agent, agent):
    """The sheets of `agent` (or an agent id) in the result of `current_review_sheets`."""
    return sheets_by_agent.get(getattr(agent, "pk", agent), [])
