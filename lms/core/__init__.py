"""Cross-cutting pieces every area uses: task progress, mail outbox, text helpers, errors."""
