"""The admin of the programmes app, one module per part; Django's autodiscovery imports this
package, which registers them all."""

from programmes.admin import accompaniment, core, reminders  # noqa: F401 - registers
