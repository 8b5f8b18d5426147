"""Every model module, imported once so that the metadata (and Alembic) sees all tables."""

from lms.auth import models as auth_models  # noqa: F401
from lms.core import models as core_models  # noqa: F401
from lms.curriculum import models as curriculum_models  # noqa: F401
from lms.exams import models as exam_models  # noqa: F401
from lms.gradebook import models as gradebook_models  # noqa: F401
from lms.lessons import models as lesson_models  # noqa: F401
from lms.org import models as org_models  # noqa: F401
from question_bank import models as question_models  # noqa: F401
