"""Month-to-date billing figures from settled 5-minute slices (pure; billingkeeper feeds it)."""
