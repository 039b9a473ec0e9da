"""Questions an operator asks of a policy set, answered by a real OPA with the built bundle:
`explain` (why this decision), and the shared pieces: who the parties are (`parties`), the
ext_authz inputs that stand for them (`inputs`, `certificates`), and the evaluation (`evaluate`)."""
