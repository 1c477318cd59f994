"""The provider-neutral sync engine, one module per verb.

`push` makes calendars match our items, `inbound` reads what changed in a calendar, `full` does
both for a whole integration, `refusals` keeps writes a provider refused due for a later try,
`audit` checks a connection event by event, `locks` keeps runs from stepping on each other.
"""
