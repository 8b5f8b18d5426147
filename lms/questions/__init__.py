"""Question authoring and the shared-bank review workflow (the web side of question_bank)."""
