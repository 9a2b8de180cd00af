"""mailbot."""
