"""All ORM models; importing this package registers every table on `Base.metadata`.

One module per feature, each owned by that feature's code.
"""

from db.models import (  # noqa: F401 - importing registers every table
    helpdesk,
    inbox,
    kb,
    mirror,
    notify,
    pelimpahan,
    runtime,
    verification,
    whatsapp,
)
