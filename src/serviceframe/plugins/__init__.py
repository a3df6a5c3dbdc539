"""The plugin host and serviceframe's own built-in plugins."""
