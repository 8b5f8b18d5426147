"""Web extensions, created unbound; :func:`lms.app.create_app` binds them to an app.

The database object is not here: it is in the kernel (:mod:`lms.kernel`), which every
package may import; these are for the web layer only.
"""

from flask_babel import Babel
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

migrate = Migrate(render_as_batch=True)
babel = Babel()
csrf = CSRFProtect()
