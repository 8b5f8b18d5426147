"""Administration pages: units, users, classes, school years, curriculum."""
