"""The code systems CareLoop speaks in FHIR, and its own codes in theirs.

Sources: LOINC and UCUM, ../shared/clinical/imwg-and-codes.md §2 and reference.md §7.2 (each code
also in shared.analytes). UCUM spellings as listed in FHIR's "Common UCUM units" value set
(http://hl7.org/fhir/ValueSet/ucum-common): `10*3/uL` "Thousands Per MicroLiter" (a lab's "K/uL"
is never passed through: K is kelvin in UCUM), `10*9/L` "billion per liter", `/uL` "per
microliter", and `g/dL`, `g/L`, `mmol/L`, `mg/dL`, `umol/L`, `U/L`. RxNorm ingredient codes
[P]: imwg-and-codes.md §2 (NMDP implementation guide, openFDA records), not yet checked against an
RxNorm release. CTCAE terms' MedDRA codes: NCI CTCAE v5.0 (../shared/clinical/ctcae_v5.0.tsv).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from shared.analytes import ANALYTES, Analyte

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
MEDDRA = "http://terminology.hl7.org/CodeSystem/mdr"
URN = "urn:ietf:rfc:3986"  # an identifier whose value is a URI, here `urn:uuid:` + CareLoop's id
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
GENDER = {"female": "female", "male": "male"}

# Each analyte by its LOINC code (shared.analytes carries the code).
ANALYTE_BY_LOINC: Mapping[str, Analyte] = MappingProxyType({a.loinc: a for a in ANALYTES.values()})

# The response markers of contract §6 (IMWG, imwg-and-codes.md §2). Accepted as codes, but CareLoop
# does not store markers yet: an entry with one is answered with an OperationOutcome.
MARKER_LOINC: Mapping[str, str] = MappingProxyType(
    {
        "33358-3": "Serum M-protein",
        "36916-5": "Kappa free light chain",
        "33944-0": "Lambda free light chain",
    }
)

# CareLoop's unit key (shared.analytes.Unit.key) <-> UCUM code. Explicit, never passed through.
UCUM_BY_UNIT: Mapping[str, str] = MappingProxyType(
    {
        "K/uL": "10*3/uL",
        "10^9/L": "10*9/L",
        "/uL": "/uL",
        "g/dL": "g/dL",
        "g/L": "g/L",
        "mmol/L": "mmol/L",
        "mg/dL": "mg/dL",
        "umol/L": "umol/L",
        "U/L": "U/L",
    }
)
UNIT_BY_UCUM: Mapping[str, str] = MappingProxyType({ucum: key for key, ucum in UCUM_BY_UNIT.items()})

# Dose-log drugs (shared.sync_schema.DoseDrug) -> (RxNorm ingredient code or None, display). The
# antiviral is acyclovir or valacyclovir; their ingredient codes were not verified, so it is text only.
DRUGS: Mapping[str, tuple[str | None, str]] = MappingProxyType(
    {
        "ixazomib": ("1723735", "ixazomib"),
        "lenalidomide": ("342369", "lenalidomide"),
        "dexamethasone": ("3264", "dexamethasone"),
        "antiviral": (None, "antiviral prophylaxis (acyclovir or valacyclovir)"),
    }
)

# CTCAE v5.0 term -> its MedDRA code (ctcae_v5.0.tsv, column "MedDRA Code").
MEDDRA_BY_CTCAE_TERM: Mapping[str, str] = MappingProxyType(
    {
        "Diarrhea": "10012727",
        "Nausea": "10028813",
        "Vomiting": "10047700",
        "Constipation": "10010774",
        "Peripheral sensory neuropathy": "10034620",
        "Rash maculo-papular": "10037868",
        "Fever": "10016558",
        "Edema limbs": "10050068",
    }
)
