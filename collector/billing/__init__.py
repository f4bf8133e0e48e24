"""Month-to-date billing figures from settled 5-minute slices (pure; not yet wired in)."""
