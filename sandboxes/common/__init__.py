"""What the provider sandboxes share that is no provider's wire format: request counters, the ASGI plumbing of
their fault-injecting middleware, and the dice and checks of fault injection. Error bodies, headers and the
kinds of fault stay in each sandbox: they are what differs between Google and Microsoft."""
