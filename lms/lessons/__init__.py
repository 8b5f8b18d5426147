"""Lessons: uploaded SCORM packages and videos, authored pages, the library and assignments."""
