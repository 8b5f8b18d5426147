"""Background-task progress: ``GET /api/v1/tasks/<id>`` (polled by the progress bar)."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from lms.api import require_user
from lms.core.services import task_for

blp = Blueprint("api_tasks", __name__, url_prefix="/api/v1", description="Tác vụ nền")


class TaskSchema(Schema):
    id = fields.String()
    kind = fields.String()
    state = fields.String()
    progress = fields.Integer()
    message = fields.String()


@blp.get("/tasks/<task_id>")
@blp.response(200, TaskSchema)
def get_task(task_id):
    """State, progress (0..100) and last message of a job the caller started."""
    row = task_for(require_user(), task_id)
    return {"id": row.id, "kind": row.kind, "state": row.state.value,
            "progress": row.progress, "message": row.message}
