"""Settings: `main` reads the environment; `test` supplies test values to it."""
