"""Channel adapters: each verifies and parses what a platform sends into
`IncomingMessage`, and delivers outbox rows back to the platform (a `Sender`)."""
