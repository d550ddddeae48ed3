"""One module per FHIR resource CareLoop serves, each naming the source of every field it maps."""
