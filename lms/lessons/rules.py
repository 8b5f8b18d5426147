"""Who may edit and assign lessons; registered in the one permission table.

``lesson.view`` (in lms/auth/permissions.py) decides who opens a lesson: its owner always;
SCORM and video lessons the members of the lesson's school; a published authored lesson anyone
in the same province; an authored draft nobody else.
"""

from lms.auth.permissions import leads, rule, teaches


@rule("lesson.edit")
def _edit(user, lesson) -> bool:
    """Only the author changes a lesson's metadata, pages and images, and publishes it."""
    return lesson.owner_id == user.id


@rule("lesson.assign_to_class")
def _assign(user, school_class) -> bool:
    """A teacher assigns lessons to the classes they teach; leaders to their school's."""
    return teaches(user, school_class) or leads(user, school_class.school)
