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
from media.scorm import (
    ScormManifest,
    TocEntry,
    add_parameters,
    parse_manifest,
    read_package,
)
from media.transcode import TranscodeResult, confined, run_ffmpeg, transcode
from media.video import (
    ALLOWED_FORMATS,
    DEFAULT_VIDEO_LIMITS,
    MediaInfo,
    Rendition,
    VideoError,
    VideoLimits,
    check_content,
    find_ffmpeg,
    find_ffprobe,
    inspect_video,
    parse_ffmpeg_banner,
    plan_renditions,
    probe,
    transcode_args,
)

__all__ = [
    "DEFAULT_LIMITS",
    "ArchiveLimits",
    "PackageError",
    "ZipEntry",
    "ZipInspection",
    "extract_zip",
    "inspect_zip",
    "ScormManifest",
    "TocEntry",
    "add_parameters",
    "parse_manifest",
    "read_package",
    "ALLOWED_FORMATS",
    "DEFAULT_VIDEO_LIMITS",
    "MediaInfo",
    "Rendition",
    "TranscodeResult",
    "VideoError",
    "VideoLimits",
    "check_content",
    "find_ffmpeg",
    "find_ffprobe",
    "inspect_video",
    "parse_ffmpeg_banner",
    "plan_renditions",
    "probe",
    "run_ffmpeg",
    "transcode",
    "transcode_args",
    "confined",
]
