"""Smart redirects of dynamic codes: rules, a weighted split, UTM parameters, expiry.

`rules.clean` checks what the API, the editor and bulk CSV send and returns the
stored form (the `redirect` JSON of a code); `plan.compile_plan` turns the stored
form into what the scan path caches with the slug; `evaluate.choose` picks the
target of one scan from it. Pure: no database, no request, no Redis.
"""
