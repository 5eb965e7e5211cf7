"""FHIR R4 scheduling under /fhir: resources, search, SMART Scheduling Links and IHE operations."""
