"""File storage (local folder or S3/MinIO), uploads, SCORM packages and video processing.

Knows nothing of questions or lessons. Other packages use only the names exported here.
"""

from media.archive import (
    DEFAULT_LIMITS,
    ArchiveLimits,
    PackageError,
    ZipEntry,
    ZipInspection,
    extract_zip,
    inspect_zip,
)

__all__ = [
    "DEFAULT_LIMITS",
    "ArchiveLimits",
    "PackageError",
    "ZipEntry",
    "ZipInspection",
    "extract_zip",
    "inspect_zip",
]
