"""What the `media-assets` command runs on one machine: the demo, the webhook receiver, the sandbox env."""
