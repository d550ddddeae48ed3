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
from shared.response import CATEGORY_NAMES

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

# The response markers of contract §6 (IMWG, imwg-and-codes.md §2) by LOINC code -> CareLoop's
# marker key (shared.markers); a lab feed's marker is stored as the care team's markers are.
MARKER_LOINC: Mapping[str, str] = MappingProxyType(
    {
        "33358-3": "serum_m_protein",
        "36916-5": "kappa_flc",
        "33944-0": "lambda_flc",
    }
)
# Their units: UCUM code -> CareLoop's unit key (shared.markers), the same spelling in both.
MARKER_UNIT_BY_UCUM: Mapping[str, str] = MappingProxyType({u: u for u in ("g/dL", "g/L", "mg/L", "mg/dL")})

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

# The disease status (contract §5's IMWG category) as mCODE's CancerDiseaseStatus observes it
# (imwg-and-codes.md §2): LOINC 97509-4 "Cancer disease status", its value a SNOMED CT trend from
# mCODE's Condition Status Trend value set (hl7.org/fhir/us/mcode, ValueSet
# mcode-condition-status-trend-vs: improved 268910001, stable 359746009, worsened 271299001,
# undetermined 709137006). The IMWG category itself travels beside it in CareLoop's own code system.
SNOMED = "http://snomed.info/sct"
DISEASE_STATUS_LOINC = "97509-4"
DISEASE_STATUS_NAME = "Cancer disease status"
IMWG_SYSTEM = "urn:careloop:imwg-response-category"
_IMPROVED = ("268910001", "Patient's condition improved (finding)")
TREND_BY_IMWG: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "sCR": _IMPROVED,
        "CR": _IMPROVED,
        "VGPR": _IMPROVED,
        "PR": _IMPROVED,
        "MR": _IMPROVED,
        "SD": ("359746009", "Patient's condition stable (finding)"),
        "PD": ("271299001", "Patient's condition worsened (finding)"),
        "NE": ("709137006", "Patient condition undetermined (finding)"),
    }
)
IMWG_NAMES: Mapping[str, str] = MappingProxyType({c.value: name for c, name in CATEGORY_NAMES.items()})

# Where a lab result came from (backend.records.models.LabSource) as the Observation's
# `meta.source`, a uri: CareLoop's own URNs.
SOURCE_URI: Mapping[str, str] = MappingProxyType(
    {
        "phone": "urn:careloop:source:phone",
        "care_team": "urn:careloop:source:care-team",
        "lab_feed": "urn:careloop:source:lab-feed",
    }
)
