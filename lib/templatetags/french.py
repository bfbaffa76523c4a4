"""The filters of lib.french, for every template (settings TEMPLATES « builtins »):
`{{ day|long_date }}`, `{{ count|number }}`, `{{ upload.size|filesize }}`…"""

from django import template

from lib import french

register = template.Library()

for _name in (
    "long_date",
    "short_date",
    "date_time",
    "day_month",
    "month_year",
    "weekday_date",
    "month_numeric",
    "file_date",
    "file_date_time",
    "filesize",
):
    register.filter(_name, getattr(french, _name), is_safe=False)


@register.filter(name="number")
def number(value, decimals=None):
    """`{{ count|number }}` « 30 000 »; `{{ rate|number:1 }}` « 12,5 »."""
    return french.number(value, None if decimals in (None, "") else int(decimals))
