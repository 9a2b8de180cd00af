"""The CLI's commands, one module per group; ``mailbot.cli`` registers them."""
