"""Online tests: exams with a frozen question snapshot, assignments, attempts and answers."""
