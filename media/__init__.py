"""File storage (local folder or S3/MinIO), uploads, SCORM packages and video processing.

Knows nothing of questions or lessons. Other packages use only the names exported here.
"""

from media.storage import (
    BACKENDS,
    FileMissing,
    InvalidKey,
    LocalStorage,
    S3Storage,
    Storage,
    StorageError,
    StorageUnavailable,
    UnknownBackend,
    content_disposition,
    register_backend,
    storage_from_config,
    validate_key,
)

__all__ = [
    "BACKENDS",
    "FileMissing",
    "InvalidKey",
    "LocalStorage",
    "S3Storage",
    "Storage",
    "StorageError",
    "StorageUnavailable",
    "UnknownBackend",
    "content_disposition",
    "register_backend",
    "storage_from_config",
    "validate_key",
]
