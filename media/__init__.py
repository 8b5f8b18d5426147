"""File storage (local folder or S3/MinIO), uploads, SCORM packages and video processing.

Knows nothing of questions or lessons. Other packages use only the names exported here.
"""
