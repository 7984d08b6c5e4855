"""The OSOZ sandbox: a separate Django project simulating the OSOZ platform (SPEC SBX), speaking to Poradnia only
over HTTP through osoz_contract/openapi.yaml. It imports nothing from the product."""
