"""All ORM models; importing this package registers every table on `Base.metadata`.

One module per feature, each owned by that feature's code.
"""

from bot.db.models import helpdesk, kb, mirror, pelimpahan, runtime, verification  # noqa: F401
