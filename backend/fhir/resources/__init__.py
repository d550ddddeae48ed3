"""One module per FHIR resource CareLoop serves, each naming the source of every field it maps.
A mapping reads its record's attributes only, so it takes the model instance or a row of the same
columns (backend.fhir.selectors reads named tuples, for speed)."""
