pytest_plugins = ["serviceframe.testing.fixtures"]
