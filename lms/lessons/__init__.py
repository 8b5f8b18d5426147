"""Lessons: uploaded SCORM packages and videos (authored pages come later)."""
