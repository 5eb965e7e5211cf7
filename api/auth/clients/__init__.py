"""Machine clients: partner systems calling /fhir with OAuth2 client credentials (RFC 6749 4.4).

`scopes` (the SMART v1 system scope grammar), `credentials` (ids, secrets), `service` (the admin's
create / list / change / rotate / revoke), `router` (/api/clients), `tokens` (the client's JWT),
`token_router` (the token endpoint and the SMART configuration), `access` (a bearer token on /fhir
back to its client), `cli` (`slotwise clients`).
"""
