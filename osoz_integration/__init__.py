"""Poradnia's side of the OSOZ integration: the connection, the HTTP client of the contract and the publication
outbox (osoz_contract/)."""
